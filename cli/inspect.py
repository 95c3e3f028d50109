"""``ranawatch inspect PATH...``: what a recording's header says, one file at a time.

Reads only headers (no samples), so it is quick on a whole SD card. Each file gives one
record with the keys of :data:`KEYS`; ``--json`` prints each record as one JSON line, without
it a ``key: value`` block per file. Times are ISO 8601 UTC with a ``Z`` suffix
(``2021-05-01T23:32:00Z``); ``utc_offset`` is the recorder's local offset (``-08:00``).

Exit status: 0 when every file was read, 1 when any could not be (its record says why),
2 for bad usage.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from core.audio.files import find_audio_files, special_file_reason
from core.audio.io import read_info
from core.errors import AudioError, RanaWatchError
from core.metadata.offsets import format_utc_iso
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
    "recorder",
    "device_id",
    "recorded_at",
    "utc_offset",
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
)
_METADATA_KEYS = KEYS[7:19] + ("comment",)


def register(app: typer.Typer) -> None:
    """Add the ``inspect`` command to the ``ranawatch`` app."""
    app.command("inspect")(inspect_command)


def inspect_command(
    paths: list[Path] = typer.Argument(
        ...,
        help="WAV files, or folders to search (recursively) for *.wav / *.WAV files.",
        metavar="PATH",
        show_default=False,
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object per file, one per line."
    ),
) -> None:
    """Show what each recording's header says: audio format, recorder, time, GUANO."""
    failed = False
    for index, path in enumerate(_expand(paths)):
        record = inspect_file(path)
        failed |= not record["ok"]
        if as_json:
            typer.echo(json.dumps(record, ensure_ascii=False))
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
        audio header or the recorder metadata could not be read.
    """
    record: dict[str, Any] = dict.fromkeys(KEYS)
    record.update(path=str(path), ok=True, guano={}, conflicts=[])
    errors: list[str] = []
    if path.is_dir() and not any(True for _ in _wav_files(path)):
        errors.append(f"{path}: no .wav files in this folder")
    elif not path.exists():
        errors.append(f"{path}: no such file (check the path)")
    elif special_file_reason(path):
        errors.append(special_file_reason(path) or "")
    else:
        _add_audio(record, path, errors)
        _add_metadata(record, path, errors)
    if errors:
        record.update(ok=False, error="; ".join(dict.fromkeys(errors)))
    return record


def _add_audio(record: dict[str, Any], path: Path, errors: list[str]) -> None:
    try:
        with warnings.catch_warnings():
            # core.audio.io logs the truncation itself; the Python warning would repeat it.
            warnings.simplefilter("ignore")
            info = read_info(path)
    except AudioError as exc:
        errors.append(str(exc))
        return
    record.update(
        samplerate_hz=info.samplerate_hz,
        channels=info.channels,
        duration_s=round(info.duration_s, 6),
        sample_format=info.sample_format,
    )


def _add_metadata(record: dict[str, Any], path: Path, errors: list[str]) -> None:
    try:
        meta = read_metadata(path)
    except RanaWatchError as exc:
        errors.append(str(exc))
        return
    for key in _METADATA_KEYS:
        record[key] = getattr(meta, key)
    if meta.recorded_at is not None:
        record["recorded_at"] = format_utc_iso(meta.recorded_at)
    record.update(guano=dict(meta.guano), conflicts=list(meta.conflicts))


def _expand(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        files = sorted(_wav_files(path)) if path.is_dir() else []
        yield from files or [path]


def _wav_files(folder: Path) -> Iterator[Path]:
    # The discovery ingest uses: same files, same macOS ._ forks and special files left out.
    return iter(find_audio_files([folder]).files)


def _as_block(record: dict[str, Any]) -> str:
    lines = [f"== {record['path']}", f"  {'ok':<14} {'yes' if record['ok'] else 'NO'}"]
    for key in KEYS[2:]:
        value = record[key]
        if value in (None, {}, []):
            continue
        if key == "guano":
            lines.append("  guano")
            lines += [f"    {k}: {v}" for k, v in value.items()]
        elif key == "conflicts":
            lines.append("  conflicts")
            lines += [f"    - {line}" for line in value]
        else:
            lines.append(f"  {key:<14} {value}")
    return "\n".join(lines)
