"""``ranawatch list recordings|detections [--json]``: the stored rows, for people and scripts.

With ``--json`` each row is one JSON object on its own line (times ISO 8601 UTC with ``Z``);
without, a tab-separated table with a header line. Reads the database, never writes it.
Exit status: 0, or 1 when the database cannot be read (the message says why).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import typer
from sqlmodel import select

from cli import common
from core.metadata.offsets import format_iso_offset, format_utc_iso
from db import crud
from db.model_versions import split_model_tag
from db.models import DuplicateFile, RecordingStatus
from db.reviews import latest_reviews
from db.session import get_engine, session_scope

list_app = typer.Typer(name="list", help="Print stored rows.", no_args_is_help=True)


RECORDING_KEYS = (
    "id",
    "path",
    "status",
    "error",
    "site",
    "device_serial",
    "recorder",
    "recorded_at",
    "utc_offset",
    "clock_issue",
    "duration_s",
    "samplerate_hz",
    "channels",
    "sample_format",
    "truncated",
    "temperature_c",
    "battery_v",
    "gain",
    "firmware",
    "latitude",
    "longitude",
    "size_bytes",
    "sha256",
    "duplicate_paths",
    "ingested_at",
)
DETECTION_KEYS = (
    "id",
    "path",
    "site",
    "model",
    "model_version",
    "label",
    "start_s",
    "end_s",
    "start_at",
    "max_score",
    "mean_score",
    "n_windows",
    "verdict",
)

_JSON = typer.Option(False, "--json", help="One JSON object per line.")
_SITE = typer.Option(None, "--site", help="Only rows of this site.")
_URL = typer.Option(None, "--database-url", help="Default: the configured database.")


def register(app: typer.Typer) -> None:
    """Add the ``list`` command group to the ``ranawatch`` app."""
    app.add_typer(list_app, name="list")


@list_app.command("recordings")
def recordings_command(
    as_json: bool = _JSON,
    status: RecordingStatus | None = typer.Option(
        None, "--status", help="Only rows in this state."
    ),
    site: str | None = _SITE,
    database_url: str | None = _URL,
) -> None:
    """Every stored recording: where it is, what its header said, and its status."""
    url = common.database_url(database_url)
    with session_scope(get_engine(url)) as session:
        rows = crud.list_recordings(session=session, status=status, site=site)
        copies: dict[int, list[str]] = {}
        for path, recording_id in session.exec(
            select(DuplicateFile.path, DuplicateFile.recording_id)
        ):
            copies.setdefault(recording_id, []).append(path)
        records = [
            {
                **rec.model_dump(include=set(RECORDING_KEYS)),
                "status": str(rec.status),
                "site": site_name,
                "device_serial": serial,
                "recorder": rec.recorder_metadata.get("recorder"),
                "utc_offset": None
                if rec.utc_offset_min is None
                else format_iso_offset(rec.utc_offset_min),
                "duplicate_paths": sorted(copies.get(rec.id or 0, [])),
            }
            for rec, site_name, serial in rows
        ]
    _emit(records, RECORDING_KEYS, as_json)


@list_app.command("detections")
def detections_command(
    as_json: bool = _JSON,
    site: str | None = _SITE,
    model: str | None = typer.Option(
        None, "--model", help="NAME:VERSION of the model (default: every version)."
    ),
    database_url: str | None = _URL,
) -> None:
    """Every stored detection (event): file, time in the file and of day, label, scores."""
    url = common.database_url(database_url)
    with session_scope(get_engine(url)) as session:
        version_id = _model_version_id(session, model) if model else None
        rows = crud.list_detections(session=session, site=site, model_version_id=version_id)
        verdicts = _latest_verdicts(session)
        records = [
            {
                "id": det.id,
                "path": rec.path,
                "site": site_name,
                "model": version.name,
                "model_version": version.version,
                "label": det.label,
                "start_s": det.start_s,
                "end_s": det.end_s,
                "start_at": rec.recorded_at + timedelta(seconds=det.start_s)
                if rec.recorded_at
                else None,
                "max_score": det.max_score,
                "mean_score": det.mean_score,
                "n_windows": det.n_windows,
                "verdict": verdicts.get(det.id or 0),
            }
            for det, rec, version, site_name in rows
        ]
    _emit(records, DETECTION_KEYS, as_json)


def _model_version_id(session: Any, model: str) -> int:
    name, version = split_model_tag(model)
    found = crud.find_model_versions(session=session, name=name, version=version)
    if not found:
        known = sorted({f"{m.name}:{m.version}" for m in crud.find_model_versions(session=session)})
        raise typer.BadParameter(f"no model {model!r} in the database; known: {known}")
    assert found[0].id is not None
    return found[0].id


def _latest_verdicts(session: Any) -> dict[int, str]:
    latest = latest_reviews()
    rows = session.exec(select(latest.c.detection_id, latest.c.verdict))
    return {detection_id: str(verdict) for detection_id, verdict in rows}


def _emit(records: Sequence[dict[str, Any]], keys: Sequence[str], as_json: bool) -> None:
    if as_json:
        for record in records:
            typer.echo(json.dumps({k: _plain(record.get(k)) for k in keys}, ensure_ascii=False))
        return
    shown = [k for k in keys if k not in ("sha256", "duplicate_paths", "error")] + (
        ["error"] if "error" in keys else []
    )
    typer.echo("\t".join(shown))
    for line in _table(records, shown):
        typer.echo(line)


def _table(records: Iterable[dict[str, Any]], keys: Sequence[str]) -> Iterator[str]:
    for record in records:
        cells = [_plain(record.get(k)) for k in keys]
        yield "\t".join("" if c is None else str(c) for c in cells)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_utc_iso(value)
    if isinstance(value, StrEnum):
        return str(value)
    return value
