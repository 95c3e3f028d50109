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

Control characters: a carriage return or line break inside a CSV field splits the row in
LibreOffice (``\r=2+2.wav`` would start the next line with a live ``=2+2``), and openpyxl
refuses most control characters outright. :func:`clean_text` turns every control character
(C0, DEL, C1, and the Unicode line and paragraph separators) into a space before guarding;
the workbook keeps line breaks (``\n``) in notes, where Excel shows them as such. A space
before a trigger does not hide it: `` =1+1`` is guarded too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePath, PureWindowsPath

import pandas as pd

# The one offset formatter (core.metadata.offsets), also importable from here.
from core.metadata.offsets import format_utc_offset  # noqa: F401
from core.report.nights import local_start

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


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


def clean_text(value: str, *, keep_newlines: bool = False) -> str:
    """``value`` with every control character replaced by a space.

    Parameters
    ----------
    keep_newlines
        Keep ``\\n`` (workbook cells may hold several lines); ``\\r\\n`` becomes ``\\n``.
    """
    if keep_newlines:
        return _CONTROL_BUT_NEWLINE.sub(" ", value.replace("\r\n", "\n"))
    return _CONTROL.sub(" ", value)


def guard_formula(value: object, *, keep_newlines: bool = False) -> object:
    """Make a text cell inert in spreadsheets: control characters become spaces, and ``'`` is
    prefixed when the text (leading spaces aside) would start a formula.

    Non-text values pass through unchanged.
    """
    if not isinstance(value, str):
        return value
    value = clean_text(value, keep_newlines=keep_newlines)
    if value.lstrip(" \n").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def guard_frame(frame: pd.DataFrame, *, keep_newlines: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`guard_formula` applied to every text cell, the column
    names and a text index included."""
    out = frame.copy()

    def guard(value: object) -> object:
        return guard_formula(value, keep_newlines=keep_newlines)

    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(guard)
    out.columns = [guard(c) for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(guard).rename(out.index.name)
    return out
