"""Write report tables to an Excel workbook (pandas + openpyxl) and to CSV.

Each sheet gets a bold, frozen header row with an auto-filter, columns fitted to their
contents, real Excel dates and datetimes with explicit number formats, a fill on highlighted
rows (positive recordings, nights with calls) and a print setup of one page wide in
landscape, so the workbook prints or converts to PDF legibly. Text cells pass through
:func:`core.report.tables.guard_formula` first: nothing that came from a file name, a device or a
reviewer's note can start a formula.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.report.cells import guard_frame
from core.report.nights import CALLS, NO_AUDIO
from core.report.tables import POSITIVE, ReportTables

logger = logging.getLogger(__name__)

POSITIVE_FILL = "C6EFCE"  # Excel's "good" green, as the original RibbitRadar output used
NO_AUDIO_FILL = "E7E6E6"  # grey: no effort, so no absence can be read from it
HEADER_FILL = "D9E1F2"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
_MAX_WIDTH, _MIN_WIDTH = 60, 6


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its frame and how to present it.

    Parameters
    ----------
    name
        Sheet name (at most 31 characters).
    frame
        The rows; datetimes must be naive (spreadsheets have no time zones).
    fills
        Optional per-row fill colour (hex ``RRGGBB``), ``None`` for no fill.
    freeze_columns
        Columns kept in view when scrolling right, besides the frozen header row.
    number_formats
        Excel number format per column name; datetimes and dates get theirs by type.
    """

    name: str
    frame: pd.DataFrame
    fills: Sequence[str | None] | None = None
    freeze_columns: int = 0
    number_formats: Mapping[str, str] = field(default_factory=dict)


def _column_format(name: str) -> str | None:
    if "Score" in name:
        return "0.000"
    if name.endswith(("(s)", "(C)")) or name in {"Minutes Recorded", "Minutes Analysed"}:
        return "0.0#"
    return None


def _display_width(value: object) -> int:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return len(f"{value:.3f}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _style_sheet(ws: Worksheet, sheet: Sheet) -> None:
    frame = sheet.frame
    # Bounds are passed explicitly: openpyxl recomputes max_row/max_column by scanning every
    # cell, which made styling a season-long sheet take minutes.
    n_rows, n_cols = len(frame) + 1, max(len(frame.columns), 1)
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    for (cell,) in ws.iter_cols(min_row=1, max_row=1, max_col=n_cols):
        cell.font, cell.fill = header_font, header_fill
    ws.freeze_panes = ws.cell(row=2, column=sheet.freeze_columns + 1).coordinate
    if n_rows > 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(n_cols)}{n_rows}"
    formats = [sheet.number_formats.get(c) or _column_format(str(c)) for c in frame.columns]
    widths = [len(str(c)) for c in frame.columns]
    fills = list(sheet.fills or ()) + [None] * len(frame)
    fill_of = {c: PatternFill("solid", fgColor=c) for c in set(fills) if c}
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, colour in zip(
        ws.iter_rows(min_row=2, max_row=n_rows, max_col=n_cols), fills, strict=False
    ):
        for j, cell in enumerate(row):
            value = cell.value
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif formats[j] and isinstance(value, int | float):
                cell.number_format = formats[j]
            width = _display_width(value)
            widths[j] = max(widths[j], width)
            if width > _MAX_WIDTH:
                # Long text (an error message, a note) wraps inside its capped column rather
                # than spilling over its neighbours and widening the printed page.
                cell.alignment = wrap
            if colour:
                cell.fill = fill_of[colour]
    for j, widest in enumerate(widths, start=1):
        width = max(_MIN_WIDTH, min(_MAX_WIDTH, widest + 2))
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def write_workbook(path: str | Path, sheets: Sequence[Sheet]) -> Path:
    """Write sheets to an ``.xlsx`` workbook, guarded against formula injection.

    Parameters
    ----------
    path
        Output file; its folder is created if needed. An existing file is replaced.
    sheets
        The worksheets, in order.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    OSError
        When the file cannot be written (folder not writable, file open in Excel on Windows).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(
        path, engine="openpyxl", date_format="YYYY-MM-DD", datetime_format="YYYY-MM-DD HH:MM:SS"
    ) as writer:
        for sheet in sheets:
            guard_frame(sheet.frame, keep_newlines=True).to_excel(
                writer, sheet_name=sheet.name, index=False
            )
            _style_sheet(writer.sheets[sheet.name], sheet)
    logger.info("wrote workbook %s (%s)", path, ", ".join(s.name for s in sheets))
    return path


def report_sheets(tables: ReportTables) -> list[Sheet]:
    """The site report's four sheets with their fills and frozen columns."""
    results_fill = [POSITIVE_FILL if p == POSITIVE else None for p in tables.results["Prediction"]]
    detections_fill = [
        POSITIVE_FILL if str(v).lower() == "confirmed" else None
        for v in tables.detections["Verdict"]
    ]
    nights_fill = [
        POSITIVE_FILL if e == CALLS else NO_AUDIO_FILL if e == NO_AUDIO else None
        for e in tables.nights["Effort"]
    ]
    return [
        Sheet("Results", tables.results, results_fill, freeze_columns=2),
        Sheet("Detections", tables.detections, detections_fill, freeze_columns=1),
        Sheet("Nights", tables.nights, nights_fill, freeze_columns=1),
        *([Sheet("Survey", tables.survey, freeze_columns=1)] if tables.survey is not None else []),
        Sheet("About", tables.about, number_formats={"Value": "General"}),
    ]


def write_report_workbook(path: str | Path, tables: ReportTables) -> Path:
    """Write a site report (Results, Detections, Nights, About) to ``path``."""
    return write_workbook(path, report_sheets(tables))


def write_results_csv(path: str | Path, results: pd.DataFrame) -> Path:
    """Write the Results rows to CSV (UTF-8 with a byte-order mark, so Excel reads accents).

    Text is guarded as in the workbook; datetimes are ``YYYY-MM-DD HH:MM:SS``, empty cells
    empty.

    Parameters
    ----------
    path
        Output file; its folder is created if needed.
    results
        The Results frame of :class:`~core.report.tables.ReportTables`.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    guard_frame(results).to_csv(
        path,
        index=False,
        encoding="utf-8-sig",
        date_format="%Y-%m-%d %H:%M:%S",
        float_format="%.6g",
        na_rep="",
    )
    logger.info("wrote %s (%d rows)", path, len(results))
    return path
