"""How report values read in a spreadsheet cell: the recorder's own wording, and guarded text.

The Results sheet keeps the columns of the original AST_Rana_Draytonii output, so its text
follows the AudioMoth firmware's comment: ``19:00:00 01/12/2022 (UTC-8)`` (local time,
``HH:MM:SS DD/MM/YYYY``, offset as ``UTC``, ``UTC+1``, ``UTC-8``, ``UTC+5:30``) and ``9.3C``.

Formula injection: a cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is read as a formula by Excel, LibreOffice and Google Sheets (always from a
CSV, and from an ``.xlsx`` as soon as someone edits the cell). :func:`guard_formula` writes
such text with a leading apostrophe, as OWASP advises for CSV: ``=HYPERLINK(...)`` becomes
``'=HYPERLINK(...)``, visible and inert. Numbers are never touched, so a negative score
stays a number; a negative temperature written as text (``-2.5C``) is guarded like any text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePath, PureWindowsPath

import pandas as pd

# The one offset parser and formatter (core.metadata.offsets), also importable from here.
from core.metadata.offsets import format_utc_offset, parse_utc_offset  # noqa: F401
from core.report.nights import local_start

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


_UNSAFE_IN_NAME = re.compile(r"[^\w.-]+")


def file_slug(name: str, fallback: str) -> str:
    """A file- or folder-name-safe form of a name (``Laguna Pond`` -> ``Laguna_Pond``).

    Runs of anything but letters, digits, ``.``, ``_`` and ``-`` become one ``_``; leading
    and trailing dots and underscores go; an empty result is ``fallback``.
    """
    return _UNSAFE_IN_NAME.sub("_", name).strip("._") or fallback


def format_recorder_timestamp(recorded_at: datetime | None, offset_min: int) -> str:
    """``19:00:00 01/12/2022 (UTC-8)``: local time as the recorder wrote it.

    Parameters
    ----------
    recorded_at
        Start of the recording, timezone-aware UTC (naive is taken as UTC); ``None``: ``""``.
    offset_min
        The recorder's offset from UTC, in minutes.
    """
    if recorded_at is None or pd.isna(recorded_at):
        return ""
    local = local_start(recorded_at, offset_min)
    return f"{local:%H:%M:%S %d/%m/%Y} ({format_utc_offset(offset_min)})"


def format_temperature(temperature_c: float | None) -> str:
    """``9.3C`` as in the AudioMoth comment; empty when the recorder gave none."""
    if temperature_c is None or pd.isna(temperature_c):
        return ""
    return f"{float(temperature_c):.1f}C"


_EPS_S = 1e-6


def _seconds(value: float) -> str:
    """Whole seconds as integers, others with up to two decimals (``24.97``)."""
    if abs(value - round(value)) < _EPS_S:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_times_heard(spans: Iterable[tuple[float, float]]) -> str:
    """``0-20, 40-60``: the seconds of a recording with calls, overlaps merged; ``N/A`` if none.

    Parameters
    ----------
    spans
        ``(start_s, end_s)`` of each event, seconds from the start of the recording.
    """
    merged: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in spans):
        if merged and start <= merged[-1][1] + _EPS_S:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        return "N/A"
    return ", ".join(f"{_seconds(s)}-{_seconds(e)}" for s, e in merged)


def file_stem(file_name: str) -> str:
    """The file name without folder or extension (``20221201_190000``), for any OS's path."""
    name = PureWindowsPath(file_name).name if "\\" in file_name else PurePath(file_name).name
    return PurePath(name).stem


def guard_formula(value: object) -> object:
    """Make a text cell inert in spreadsheets: prefix ``'`` when it would start a formula.

    Non-text values pass through unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def guard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`guard_formula` applied to every text cell."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(guard_formula)
    return out
