"""Raven Pro selection tables: Raven's column names, one table per recording, safe text."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from core.report.raven import (
    RAVEN_COLUMNS,
    format_selection_table,
    table_name,
    write_selection_tables,
)
from core.report.tables import build_report
from tests.core.report import report_frames as rf


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_raven_measurement_columns_are_exact() -> None:
    assert RAVEN_COLUMNS == (
        "Selection", "View", "Channel", "Begin Time (s)", "End Time (s)",
        "Low Freq (Hz)", "High Freq (Hz)",
    )  # fmt: skip
    assert table_name("20221201_190000") == "20221201_190000.Table.1.selections.txt"


def test_one_table_per_recording(tmp_path: Path) -> None:
    tables = build_report(rf.recordings(), rf.detections(), rf.window_summary(), rf.meta())
    written = write_selection_tables(tmp_path / "raven", tables)
    assert len(written) == len(tables.results) == 5
    first = tmp_path / "raven" / "20221201_190000.Table.1.selections.txt"
    assert first in written
    header = first.read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert header[:7] == list(RAVEN_COLUMNS)
    assert header[7:] == ["Label", "Max Score", "Mean Score", "Verdict", "Reviewer", "Note"]
    rows = _read(first)
    assert [r["Selection"] for r in rows] == ["1", "2"]
    assert [(r["Begin Time (s)"], r["End Time (s)"]) for r in rows] == [
        ("0.000", "20.000"),
        ("40.000", "60.000"),
    ]
    assert {r["View"] for r in rows} == {"Spectrogram 1"} and {r["Channel"] for r in rows} == {"1"}
    assert rows[0]["Low Freq (Hz)"] == "0.0" and rows[0]["High Freq (Hz)"] == "8000.0"
    assert (rows[0]["Label"], rows[0]["Verdict"], rows[0]["Note"]) == ("RADR", "confirmed", "'+cmd")
    assert float(rows[1]["Max Score"]) == 0.7
    # A recording without events gets the header alone, ready for manual selections.
    quiet = tmp_path / "raven" / "20221203_190000.Table.1.selections.txt"
    assert quiet.read_text(encoding="utf-8").count("\n") == 1 and _read(quiet) == []


def test_only_with_events_skips_quiet_recordings(tmp_path: Path) -> None:
    tables = build_report(rf.recordings(), rf.detections(), rf.window_summary(), rf.meta())
    written = write_selection_tables(tmp_path, tables, only_with_events=True, high_freq_hz=4000)
    assert sorted(p.name for p in written) == [
        "20221201_190000.Table.1.selections.txt",
        "20221202_021000.Table.1.selections.txt",
    ]
    assert _read(written[0])[0]["High Freq (Hz)"] == "4000.0"


def test_same_file_name_on_two_recorders_does_not_collide(tmp_path: Path) -> None:
    recs = rf.recordings().iloc[[0, 0]].copy()
    recs["recording_id"] = [1, 9]
    recs["device_id"] = ["AudioMoth 249BC30461CBB1E6", "AudioMoth 24E144085F256A6D"]
    tables = build_report(recs, rf.detections(), rf.window_summary(), rf.meta())
    written = write_selection_tables(tmp_path, tables)
    assert sorted(p.name for p in written) == [
        "20221201_190000__249BC30461CBB1E6.Table.1.selections.txt",
        "20221201_190000__24E144085F256A6D.Table.1.selections.txt",
    ]
    counts = sorted(len(_read(p)) for p in written)
    assert counts == [0, 2]


def test_text_stays_on_one_line_and_is_guarded() -> None:
    events = pd.DataFrame(
        [
            {
                "Start (s)": 10.0,
                "End (s)": 20.0,
                "Label": "RADR",
                "Max Score": 0.91234,
                "Mean Score": 0.8,
                "Verdict": "rejected",
                "Reviewer": "=cmd|' /C calc'!A0",
                "Note": "wind\tand\nrain",
            }
        ]
    )
    text = format_selection_table(events)
    lines = text.splitlines()
    assert len(lines) == 2 and all(len(line.split("\t")) == 13 for line in lines)
    fields = lines[1].split("\t")
    assert fields[8] == "0.9123" and fields[12] == "wind and rain"
    assert fields[11].startswith("'=")
