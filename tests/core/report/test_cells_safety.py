"""Text cells stay inert whatever characters a name holds, control characters included."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.report.cells import FORMULA_TRIGGERS, clean_text, guard_formula, guard_frame
from core.report.excel import Sheet, write_results_csv, write_workbook
from core.report.raven import format_selection_table
from core.report.tables import build_report
from tests.core.report import report_frames as rf


@pytest.mark.parametrize(
    ("text", "guarded"),
    [
        ("\r=2+2", "' =2+2"),
        ("\t=1", "' =1"),
        ("\n@x", "' @x"),
        ("  =1+1", "'  =1+1"),
        ("a\r=2+2", "a =2+2"),
        ("x\x00y\x07z\x1b\x7f\x85\u2028", "x y z    "),
        ("\tplain", " plain"),
    ],
)
def test_control_characters_become_spaces_then_the_formula_guard_applies(
    text: str, guarded: str
) -> None:
    assert guard_formula(text) == guarded


def test_workbook_cells_keep_line_breaks_but_no_other_control_character() -> None:
    assert clean_text("line one\r\nline two\rx\x01", keep_newlines=True) == "line one\nline two x "
    assert guard_formula("\n=1", keep_newlines=True) == "'\n=1"


def test_guard_frame_guards_the_index_and_the_header() -> None:
    frame = pd.DataFrame({"=cmd": ["ok"]}, index=pd.Index(["=Pond"], name="site"))
    out = guard_frame(frame)
    assert list(out.columns) == ["'=cmd"] and list(out.index) == ["'=Pond"]


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
def test_no_guarded_text_holds_a_line_break_or_starts_a_formula(text: str) -> None:
    out = guard_formula(text)
    assert isinstance(out, str)
    assert not any(ch in out for ch in "\r\n\t\x0b\x0c\x85\u2028\u2029")
    assert out.startswith("'") or not out.lstrip(" ").startswith(FORMULA_TRIGGERS)


def _recordings_named(name: str) -> pd.DataFrame:
    recs = rf.recordings()
    recs.loc[recs["recording_id"] == 2, "file_name"] = name
    return recs


def test_a_carriage_return_name_does_not_split_a_csv_row(tmp_path: Path) -> None:
    tables = build_report(
        _recordings_named("/cards/\r=2+2.wav"), rf.detections(), rf.window_summary(), rf.meta()
    )
    path = write_results_csv(tmp_path / "r.csv", tables.results)
    raw = path.read_bytes()
    assert b"\r=2+2" not in raw and b"\r" not in raw.replace(b"\r\n", b"")
    lines = raw.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + len(tables.results)  # no row split in two
    assert not any(line.startswith(FORMULA_TRIGGERS) for line in lines)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1]["File Name"] == "' =2+2"


def test_control_characters_in_a_name_do_not_stop_the_workbook(tmp_path: Path) -> None:
    # openpyxl refuses \x01-\x08 and the like: the report would die on one odd file name.
    name = "/cards/bell\x07\x01=x.wav"
    tables = build_report(_recordings_named(name), rf.detections(), rf.window_summary(), rf.meta())
    book = write_workbook(tmp_path / "r.xlsx", [Sheet("Results", tables.results)])
    cell = openpyxl.load_workbook(book)["Results"]["B3"].value
    assert cell == "bell  =x"


def test_raven_text_is_one_line_and_guarded() -> None:
    events = pd.DataFrame(
        [
            {
                "Start (s)": 0.0,
                "End (s)": 1.0,
                "Label": "\r=2+2",
                "Max Score": 0.9,
                "Mean Score": 0.8,
                "Verdict": "confirmed",
                "Reviewer": "ann\x00",
                "Note": "a\r\n+b\u2028c",
            }
        ]
    )
    lines = format_selection_table(events).splitlines()
    assert len(lines) == 2
    fields = lines[1].split("\t")
    assert len(fields) == 13 and fields[7] == "'=2+2" and fields[12] == "a +b c"
