"""``ranawatch inspect PATH...``: what a recording's header says, one file at a time.

Reads only headers (no samples), so it is quick on a whole SD card. Each file gives one
record with the keys of :data:`KEYS`; ``--json`` prints each record as one JSON line, without
it a ``key: value`` block per file. Times are ISO 8601 UTC with a ``Z`` suffix
(``2021-05-01T23:32:00Z``); ``utc_offset`` is the recorder's local offset (``-08:00``).

Every path given, and every file found in a folder (by the same discovery as ingest:
``*.wav``/``*.flac``, hidden files and macOS ``._`` forks left out; what a folder holds that
ingest would pass over, such as a named pipe or an MP3, is named on stderr with the reason),
gets exactly one record, in order; a path that cannot be read (missing, a named pipe, a
damaged header) gets its own record with ``ok: false`` and the reason, and the others are
still printed. Only regular files are opened, so a named pipe never blocks. ``--json``
output is strict JSON (never ``NaN`` or ``Infinity``).

Exit status: 0 when every file was read, 1 when any could not be (after all records are
printed; each failed record says why), 2 for bad usage.
"""

from __future__ import annotations

import json
import logging
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from core.audio.files import display_path, find_audio_files, special_file_reason
from core.audio.io import read_info
from core.errors import RanaWatchError
from core.metadata.offsets import format_iso_offset, format_utc_iso
from core.metadata.recording import read_metadata

logger = logging.getLogger(__name__)

#: The keys of every record, in output order.
KEYS: tuple[str, ...] = (
    "path",
    "ok",
    "error",
    "samplerate_hz",
    "channels",
    "duration_s",
    "sample_format",
    "container",
    "recorder",
    "device_serial",
    "recorded_at",
    "utc_offset",
    "time_source",
    "zone_unknown",
    "local_time",
    "temperature_c",
    "battery_v",
    "gain",
    "firmware",
    "deployment_id",
    "filter",
    "trigger",
    "stop_reason",
    "guano",
    "comment",
    "conflicts",
    "notes",
)
_METADATA_KEYS = (
    "recorder", "device_serial", "time_source", "zone_unknown", "temperature_c",
    "battery_v", "gain", "firmware", "deployment_id", "filter", "trigger", "stop_reason",
    "comment",
)  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the ``inspect`` command to the ``ranawatch`` app."""
    app.command("inspect")(inspect_command)


def inspect_command(
    paths: list[Path] = typer.Argument(
        ...,
        help="WAV or FLAC files, or folders to search (recursively) for them.",
        metavar="PATH",
        show_default=False,
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object per file, one per line."
    ),
) -> None:
    """Show what each recording's header says: audio format, recorder, time, GUANO."""
    failed = False
    for index, item in enumerate(_expand(paths)):
        record = inspect_file(item) if isinstance(item, Path) else _failed(*item)
        failed |= not record["ok"]
        if as_json:
            typer.echo(json.dumps(_strict(record), ensure_ascii=False, allow_nan=False))
        else:
            typer.echo(("\n" if index else "") + _as_block(record))
    if failed:
        raise typer.Exit(code=1)


def inspect_file(path: Path) -> dict[str, Any]:
    """Build the record of one file; failures are reported in it, never raised.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    dict[str, Any]
        Every key of :data:`KEYS`; ``ok`` is ``False`` and ``error`` says why when the
        path is not a readable file, or its audio header or recorder metadata could not
        be read (whatever went wrong: one bad file never stops the others).
    """
    if not os.path.lexists(path):
        return _failed(path, "no such file (check the path)")
    if reason := special_file_reason(path):
        return _failed(path, reason)
    record = _failed(path, "")
    record.update(ok=True, error=None)
    errors: list[str] = []
    for add in (_add_audio, _add_metadata):
        try:
            add(record, path)
        except RanaWatchError as exc:
            errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the others
            errors.append(f"{display_path(path)}: {type(exc).__name__}: {exc}")
    if errors:
        record.update(ok=False, error="; ".join(dict.fromkeys(errors)))
    return record


def _failed(path: Path | str, reason: str) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(KEYS)
    shown = display_path(path)
    error = reason if reason.startswith(shown) else f"{shown}: {reason}"
    record.update(path=shown, ok=False, error=error, guano={}, conflicts=[], notes=[])
    return record


def _add_audio(record: dict[str, Any], path: Path) -> None:
    with warnings.catch_warnings():
        # core.audio logs the truncation itself; the Python warning would repeat it.
        warnings.simplefilter("ignore")
        info = read_info(path)
    record.update(
        samplerate_hz=info.samplerate_hz,
        channels=info.channels,
        duration_s=round(info.duration_s, 6),
        sample_format=info.sample_format,
        container=info.container,
    )


def _add_metadata(record: dict[str, Any], path: Path) -> None:
    meta = read_metadata(path)
    for key in _METADATA_KEYS:
        record[key] = getattr(meta, key)
    if meta.recorded_at is not None:
        record["recorded_at"] = format_utc_iso(meta.recorded_at)
    if meta.utc_offset_min is not None:
        record["utc_offset"] = format_iso_offset(meta.utc_offset_min)
    if meta.local_time is not None:
        record["local_time"] = meta.local_time.isoformat()
    record.update(guano=dict(meta.guano), conflicts=list(meta.conflicts), notes=list(meta.notes))


def _expand(paths: list[Path]) -> Iterator[Path | tuple[str, str]]:
    """Each path, or the recordings of a folder; ``(path, reason)`` for what is passed over."""
    for path in paths:
        if os.path.islink(path) or not os.path.isdir(path):
            yield path
            continue
        try:
            found = find_audio_files([path])
        except RanaWatchError as exc:
            yield (display_path(path), str(exc))
            continue
        for skipped in found.skipped:
            # As ingest does: passed over with the reason, not a recording that failed.
            typer.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
        if not found.files:
            yield (display_path(path), "no .wav or .flac files in this folder")
        yield from found.files


def _strict(value: Any) -> Any:
    """``value`` with every non-finite float as ``None``, so that the JSON is strict."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _strict(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strict(item) for item in value]
    return value


def _as_block(record: dict[str, Any]) -> str:
    lines = [f"== {record['path']}", f"  {'ok':<14} {'yes' if record['ok'] else 'NO'}"]
    for key in KEYS[2:]:
        value = record[key]
        if value in (None, {}, []):
            continue
        if key == "guano":
            lines.append("  guano")
            lines += [f"    {k}: {v}" for k, v in value.items()]
        elif key in ("conflicts", "notes"):
            lines.append(f"  {key}")
            lines += [f"    - {line}" for line in value]
        else:
            lines.append(f"  {key:<14} {value}")
    return "\n".join(lines)
