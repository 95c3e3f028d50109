"""Raven Pro selection tables: one tab-separated ``<stem>.Table.1.selections.txt`` per recording.

Raven Pro (Cornell Lab of Ornithology) opens a selection table over its sound file with
*File > Open Selection Table*; the name follows Raven's own ``<sound file>.Table.1.
selections.txt``. The first seven columns are Raven's measurement columns with its exact
names (``Selection``, ``View``, ``Channel``, ``Begin Time (s)``, ``End Time (s)``, ``Low Freq
(Hz)``, ``High Freq (Hz)``); Raven shows the columns after them (label, scores, review) as
annotations. The detector does not localise calls in frequency, so each selection spans the
whole band the model listens to (0-8 kHz for 16 kHz input by default).

A recording without events still gets a table with the header alone, so a reviewer can open
it and add selections by hand. Text is kept on one line (tabs and line breaks become spaces)
and guarded like the workbook (a leading ``'`` before ``= + - @``), because these files are
often opened in a spreadsheet too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from core.report.cells import guard_formula
from core.report.columns import DetectionsCol, ResultsCol
from core.report.files import file_slug
from core.report.meta import ReportTables

D = DetectionsCol

logger = logging.getLogger(__name__)

RAVEN_COLUMNS: tuple[str, ...] = (
    "Selection",
    "View",
    "Channel",
    "Begin Time (s)",
    "End Time (s)",
    "Low Freq (Hz)",
    "High Freq (Hz)",
)
# The annotation columns carry the Detections sheet's own header names.
ANNOTATION_COLUMNS: tuple[str, ...] = (
    D.LABEL,
    D.MAX_SCORE,
    D.MEAN_SCORE,
    D.VERDICT,
    D.REVIEWER,
    D.NOTE,
)
TABLE_SUFFIX = ".Table.1.selections.txt"
DEFAULT_HIGH_FREQ_HZ = 8000.0
_BREAKS = re.compile(r"[\t\r\n]+")
_HEADER = "\t".join(RAVEN_COLUMNS + ANNOTATION_COLUMNS)


def table_name(stem: str) -> str:
    """``20221201_190000.Table.1.selections.txt`` for a recording stem."""
    return stem + TABLE_SUFFIX


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(guard_formula(_BREAKS.sub(" ", str(value)).strip()))


def format_selection_table(
    events: pd.DataFrame,
    *,
    low_freq_hz: float = 0.0,
    high_freq_hz: float = DEFAULT_HIGH_FREQ_HZ,
    channel: int = 1,
) -> str:
    """Render one recording's events as a Raven selection table.

    Parameters
    ----------
    events
        Rows of the Detections sheet for one recording: ``Start (s)``, ``End (s)``,
        ``Label``, ``Max Score``, ``Mean Score``, ``Verdict``, ``Reviewer``, ``Note``.
    low_freq_hz, high_freq_hz
        Frequency band of every selection, Hz.
    channel
        Audio channel (Raven counts from 1).

    Returns
    -------
    str
        The table text: a header line and one line per event, ``\\n``-terminated, ordered
        by begin time and numbered from 1.
    """
    lines = [_HEADER]
    if events.empty:  # most recordings of a season: skip pandas, it dominates the run time
        return _HEADER + "\n"
    ordered = events.sort_values([D.START_S, D.END_S], kind="stable")
    for number, ev in enumerate(ordered.to_dict("records"), start=1):
        fields = [
            str(number),
            "Spectrogram 1",
            str(channel),
            f"{float(ev[D.START_S]):.3f}",
            f"{float(ev[D.END_S]):.3f}",
            f"{low_freq_hz:.1f}",
            f"{high_freq_hz:.1f}",
            _text(ev[D.LABEL]),
            f"{float(ev[D.MAX_SCORE]):.4f}",
            f"{float(ev[D.MEAN_SCORE]):.4f}",
            _text(ev[D.VERDICT]),
            _text(ev[D.REVIEWER]),
            _text(ev[D.NOTE]),
        ]
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def _names(recordings: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A table stem per (file stem, device); the device is appended only where two
    recorders wrote the same file name (AudioMoths name files by time alone)."""
    keys = list(dict.fromkeys(recordings))
    counts: dict[str, int] = {}
    for stem, _ in keys:
        counts[stem] = counts.get(stem, 0) + 1
    names = {}
    for stem, device in keys:
        name = stem if counts[stem] == 1 else f"{stem}__{device.split()[-1] if device else 'x'}"
        names[(stem, device)] = file_slug(name, "recording")
    return names


def write_selection_tables(
    out_dir: str | Path,
    tables: ReportTables,
    *,
    low_freq_hz: float = 0.0,
    high_freq_hz: float = DEFAULT_HIGH_FREQ_HZ,
    only_with_events: bool = False,
) -> list[Path]:
    """Write one Raven selection table per recording of a report.

    Parameters
    ----------
    out_dir
        Folder for the tables (created if needed); existing tables are replaced.
    tables
        The report; recordings come from Results, events from Detections.
    low_freq_hz, high_freq_hz
        Frequency band of every selection, Hz.
    only_with_events
        Skip recordings with no events instead of writing header-only tables.

    Returns
    -------
    list[pathlib.Path]
        The files written, in Results order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    keys = list(
        zip(tables.results[ResultsCol.FILE_NAME], tables.results[ResultsCol.DEVICE_ID], strict=True)
    )
    names = _names(keys)
    grouped = dict(iter(tables.detections.groupby([D.FILE_NAME, D.DEVICE_ID], sort=False)))
    written = []
    no_events = tables.detections.iloc[0:0]
    for key in dict.fromkeys(keys):
        events = grouped.get(key, no_events)
        if only_with_events and events.empty:
            continue
        path = out / table_name(names[key])
        text = format_selection_table(events, low_freq_hz=low_freq_hz, high_freq_hz=high_freq_hz)
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    logger.info("wrote %d Raven selection tables to %s", len(written), out)
    return written
