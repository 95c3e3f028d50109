"""The workbook as a spreadsheet program sees it (opened with openpyxl), and the CSV."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from core.report.excel import POSITIVE_FILL, write_report_workbook, write_results_csv
from core.report.tables import RESULTS_COLUMNS, ReportTables, build_report
from tests.core.report import report_frames as rf


@pytest.fixture
def tables() -> ReportTables:
    return build_report(rf.recordings(), rf.detections(), rf.window_summary(), rf.meta())


@pytest.fixture
def workbook(tmp_path: Path, tables: ReportTables) -> openpyxl.Workbook:
    path = write_report_workbook(tmp_path / "out" / "Pond A.xlsx", tables)
    return openpyxl.load_workbook(path)


def _rows(ws) -> list[dict[str, object]]:
    header = [c.value for c in ws[1]]
    rows = ws.iter_rows(min_row=2)
    return [dict(zip(header, [c.value for c in row], strict=True)) for row in rows]


def _shown_length(cell) -> int:
    """Characters the cell shows: its number format decides for dates and numbers."""
    if cell.value is None:
        return 0
    if cell.is_date:
        return len(cell.number_format)
    if isinstance(cell.value, float):
        return len(f"{cell.value:.3f}")
    return len(str(cell.value))


def test_sheets_and_headers(workbook, tables) -> None:
    assert workbook.sheetnames == ["Results", "Detections", "Nights", "Survey", "About"]
    header = [c.value for c in workbook["Results"][1]]
    assert tuple(header[:8]) == RESULTS_COLUMNS
    assert header == list(tables.results.columns)
    assert [c.value for c in workbook["Nights"][1]][:2] == ["Night", "Effort"]
    assert [c.value for c in workbook["About"][1]] == ["Field", "Value"]
    assert all(c.font.bold for c in workbook["Results"][1])


def test_values_and_cell_types(workbook) -> None:
    rows = {r["File Name"]: r for r in _rows(workbook["Results"])}
    first = rows["20221201_190000"]
    assert first["Timestamp"] == "19:00:00 01/12/2022 (UTC-8)"
    assert first["Times Heard"] == "0-20, 40-60" and first["Temperature"] == "9.3C"
    assert isinstance(first["Review Date"], datetime)  # a real Excel date
    assert first["Review Date"] == datetime(2023, 7, 22)
    assert first["Recorded (UTC)"] == datetime(2022, 12, 2, 3, 0)
    assert first["Recorded (Local)"] == datetime(2022, 12, 1, 19, 0)
    assert isinstance(first["Max Score (RADR)"], float) and first["Max Score (RADR)"] == 0.9
    assert first["Positive Windows (RADR)"] == 4 and first["Duration (s)"] == 60
    assert rows["20221204_190000"]["Prediction"] == "Not analysed"
    assert rows["20221204_190000"]["Review Date"] is None

    ws = workbook["Results"]
    col = {c.value: c.column for c in ws[1]}
    assert ws.cell(2, col["Review Date"]).is_date
    assert ws.cell(2, col["Review Date"]).number_format == "yyyy-mm-dd"
    assert ws.cell(2, col["Recorded (UTC)"]).number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws.cell(2, col["Max Score (RADR)"]).data_type == "n"
    assert ws.cell(2, col["Max Score (RADR)"]).number_format == "0.000"

    nights = {r["Night"]: r for r in _rows(workbook["Nights"])}
    assert all(isinstance(k, datetime) for k in nights)
    quiet = nights[datetime(2022, 12, 3)]
    assert (quiet["Effort"], quiet["Minutes Recorded"], quiet["Events"]) == ("no calls", 1, 0)
    assert nights[datetime(2022, 12, 2)]["Effort"] == "no audio"
    assert isinstance(nights[datetime(2022, 12, 1)]["First Call (Local)"], datetime)

    about = {r["Field"]: r["Value"] for r in _rows(workbook["About"])}
    assert about["Generated (UTC)"] == datetime(2024, 1, 2, 3, 4, 5)
    assert about["Checkpoint SHA-256"] == "ab" * 32 and about["Longitude"] == -122.654321


def test_header_frozen_and_widths_fitted(workbook) -> None:
    assert workbook["Results"].freeze_panes == "C2"  # header + model and file name
    assert workbook["Detections"].freeze_panes == "B2"
    assert workbook["About"].freeze_panes == "A2"
    ws = workbook["Results"]
    for column in ws.iter_cols():
        # A header longer than 16 characters wraps instead of widening the column.
        longest = max([min(_shown_length(column[0]), 16)] + [_shown_length(c) for c in column[1:]])
        width = ws.column_dimensions[column[0].column_letter].width
        assert min(longest, 58) <= width <= max(longest + 4, 8)
    assert ws.row_dimensions[1].height >= 2 * 15  # "Positive Windows (RADR)" on two lines


def test_positive_rows_are_highlighted(workbook) -> None:
    ws = workbook["Results"]
    for row in ws.iter_rows(min_row=2):
        fill = row[0].fill
        coloured = fill.fill_type == "solid" and fill.fgColor.rgb.endswith(POSITIVE_FILL)
        assert coloured == (row[2].value == "Positive"), row[1].value
    nights = workbook["Nights"]
    fills = {r[1].value: r[0].fill.fgColor.rgb for r in nights.iter_rows(min_row=2)}
    assert fills["calls"].endswith(POSITIVE_FILL) and not fills["no calls"].endswith(POSITIVE_FILL)


def test_no_cell_starts_a_formula(workbook) -> None:
    for ws in workbook:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    names = [r["File Name"] for r in _rows(workbook["Results"])]
    assert '\'=HYPERLINK("x")' in names
    notes = [r["Note"] for r in _rows(workbook["Detections"])]
    assert "'+cmd" in notes
    temps = [r["Temperature"] for r in _rows(workbook["Results"])]
    assert "'-2.5C" in temps


def test_csv_has_the_results_rows(tmp_path: Path, tables: ReportTables) -> None:
    path = write_results_csv(tmp_path / "Pond A.csv", tables.results)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(tables.results.columns)
    assert [r["File Name"] for r in rows] == [
        "20221201_190000", "'=HYPERLINK(\"x\")", "20221202_021000", "20221203_190000",
        "20221204_190000",
    ]  # fmt: skip
    first = rows[0]
    assert first["Timestamp"] == "19:00:00 01/12/2022 (UTC-8)"
    assert first["Times Heard"] == "0-20, 40-60" and first["Review Date"] == "2023-07-22"
    assert first["Recorded (UTC)"] == "2022-12-02 03:00:00" and first["Max Score (RADR)"] == "0.9"
    assert rows[2]["Temperature"] == "'-2.5C"
    assert rows[4]["Prediction"] == "Not analysed" and rows[4]["Review Date"] == ""
    assert rows[2]["Temperature (C)"] == "-2.5"  # a number stays a number
    for row in rows:
        text = [v for v in row.values() if not _is_number(v)]
        assert not any(v.startswith(("=", "+", "-", "@")) for v in text), row


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def test_long_text_wraps_in_its_capped_column(tmp_path: Path, tables: ReportTables) -> None:
    long_error = "cannot read this file: " + "the header is damaged " * 10
    tables.results.loc[tables.results.index[0], "Error"] = long_error
    ws = openpyxl.load_workbook(write_report_workbook(tmp_path / "w.xlsx", tables))["Results"]
    column = [c.value for c in ws[1]].index("Error") + 1
    cell = ws.cell(row=2, column=column)
    assert cell.value == long_error
    assert cell.alignment.wrap_text
    assert ws.column_dimensions[cell.column_letter].width <= 62
    short = ws.cell(row=2, column=2)  # the file name fits: no wrapping
    assert not short.alignment.wrap_text
