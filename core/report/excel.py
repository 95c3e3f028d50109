"""Write report tables to an Excel workbook (pandas + openpyxl) and to CSV.

Each sheet gets a bold, frozen header row with an auto-filter, columns fitted to their
contents (long headers and long text wrap, rows as tall as their lines), real Excel dates and
datetimes with explicit number formats, a fill on highlighted rows (positive recordings,
nights with calls) and a landscape print setup with the header row on every page: one page
wide where that keeps the type at 8 pt or more, else the columns span pages at full size
with the frozen columns repeated, so the workbook prints or converts to PDF legibly. Text
cells pass through :func:`core.report.cells.guard_formula` first: nothing that came from a
file name, a device or a reviewer's note can start a formula.
"""

from __future__ import annotations

import logging
import math
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
_MAX_WIDTH, _MIN_WIDTH, _HEADER_WIDTH = 60, 6, 16
FONT_PT = 11.0  # openpyxl's default body font, Calibri 11
LINE_PT = 15.0  # the height of one line of it in a row
MIN_PRINT_PT = 8.0  # smallest type a printout may shrink to
PRINT_MARGIN_IN = 0.5
# Landscape Letter (the smaller of Letter and A4) less the margins, in points.
PRINTABLE_WIDTH_PT = (11.0 - 2 * PRINT_MARGIN_IN) * 72


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


def _lines(value: object, width: float) -> int:
    """Lines a wrapped cell of ``width`` characters takes."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(int(width) - 1, 1)
    return sum(max(math.ceil(len(line) / per_line), 1) for line in value.split("\n"))


def _column_pt(width: float) -> float:
    # Excel's column width is in characters of the default font (7 px each at 96 dpi, plus
    # 5 px of padding, a pixel being 0.75 pt); LibreOffice prints the same columns about
    # 30% wider (measured on its PDFs), so that is what a page must hold.
    return (width * 7 + 5) * 0.75 * 1.3


def _print_setup(ws: Worksheet, widths: Sequence[float], sheet: Sheet) -> None:
    """Landscape, header rows repeated on every page; one page wide only where that keeps
    the type at :data:`MIN_PRINT_PT` or more, else the columns span pages at full size with
    the frozen columns repeated."""
    ws.page_setup.orientation = "landscape"
    for side in ("left", "right"):
        setattr(ws.page_margins, side, PRINT_MARGIN_IN)
    ws.print_title_rows = "1:1"
    scale = PRINTABLE_WIDTH_PT / max(sum(_column_pt(w) for w in widths), 1.0)
    if scale * FONT_PT >= MIN_PRINT_PT:
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        ws.sheet_properties.pageSetUpPr.fitToPage = False
        ws.page_setup.scale = 100
        ws.page_setup.pageOrder = "overThenDown"
        if sheet.freeze_columns:
            ws.print_title_cols = f"A:{get_column_letter(sheet.freeze_columns)}"


def _style_sheet(ws: Worksheet, sheet: Sheet) -> None:
    frame = sheet.frame
    # Bounds are passed explicitly: openpyxl recomputes max_row/max_column by scanning every
    # cell, which made styling a season-long sheet take minutes.
    n_rows, n_cols = len(frame) + 1, max(len(frame.columns), 1)
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    for (cell,) in ws.iter_cols(min_row=1, max_row=1, max_col=n_cols):
        cell.font, cell.fill, cell.alignment = header_font, header_fill, wrap
    ws.freeze_panes = ws.cell(row=2, column=sheet.freeze_columns + 1).coordinate
    if n_rows > 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(n_cols)}{n_rows}"
    formats = [sheet.number_formats.get(c) or _column_format(str(c)) for c in frame.columns]
    # A long header wraps onto a few lines instead of widening its column for every row.
    widths = [min(len(str(c)), _HEADER_WIDTH) + 2 for c in frame.columns]
    fills = list(sheet.fills or ()) + [None] * len(frame)
    fill_of = {c: PatternFill("solid", fgColor=c) for c in set(fills) if c}
    wrapped: list[tuple[int, int, str]] = []  # (row, column, text) of cells that wrap
    for r, (row, colour) in enumerate(
        zip(ws.iter_rows(min_row=2, max_row=n_rows, max_col=n_cols), fills, strict=False),
        start=2,
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
            widths[j] = max(widths[j], min(width, _MAX_WIDTH) + 2)
            if width > _MAX_WIDTH or (isinstance(value, str) and "\n" in value):
                # Long text (an error message, a note) wraps inside its capped column rather
                # than spilling over its neighbours and widening the printed page.
                cell.alignment = wrap
                wrapped.append((r, j, value))
            if colour:
                cell.fill = fill_of[colour]
    widths = [max(_MIN_WIDTH, min(_MAX_WIDTH + 2, w)) for w in widths]
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    # Spreadsheets do not grow a row for wrapped text on their own (LibreOffice prints the
    # overflow over the next rows): give each wrapped row the height of its lines.
    header_lines = (
        max(_lines(str(c), widths[j]) for j, c in enumerate(frame.columns)) if n_cols else 1
    )
    ws.row_dimensions[1].height = header_lines * LINE_PT
    heights: dict[int, int] = {}
    for r, j, text in wrapped:
        heights[r] = max(heights.get(r, 1), _lines(text, widths[j]))
    for r, lines in heights.items():
        ws.row_dimensions[r].height = lines * LINE_PT
    _print_setup(ws, widths, sheet)


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
    """The site report's sheets with their fills and frozen columns."""
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
    """Write a site report (Results, Detections, Nights, Survey, About) to ``path``."""
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
