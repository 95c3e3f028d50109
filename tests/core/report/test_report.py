"""The report tables: the original Results columns and formats, events, effort-aware nights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from core.metadata.audiomoth import parse_audiomoth_comment
from core.report.cells import (
    file_stem,
    format_recorder_timestamp,
    format_temperature,
    format_times_heard,
    format_utc_offset,
    guard_formula,
    guard_frame,
)
from core.report.nights import night_of
from core.report.tables import RESULTS_COLUMNS, build_report
from tests.core.report import report_frames as rf


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "UTC"), (60, "UTC+1"), (-480, "UTC-8"), (330, "UTC+5:30"), (-210, "UTC-3:30"),
     (765, "UTC+12:45"), (-30, "UTC-0:30")],
)  # fmt: skip
def test_offsets_read_as_the_firmware_writes_them(minutes: int, text: str) -> None:
    assert format_utc_offset(minutes) == text


def test_timestamp_reproduces_the_audiomoth_comment() -> None:
    assert (
        format_recorder_timestamp(datetime(2022, 12, 2, 3, 0, tzinfo=UTC), -480)
        == "19:00:00 01/12/2022 (UTC-8)"
    )
    for stamp in ("19:00:00 01/12/2022 (UTC-8)", "23:32:00 01/05/2021 (UTC)",
                  "04:05:06 31/12/2023 (UTC+5:30)"):  # fmt: skip
        parsed = parse_audiomoth_comment(f"Recorded at {stamp} by AudioMoth 249BC30461CBB1E6")
        assert parsed.recorded_at is not None and parsed.utc_offset is not None
        offset_min = int(parsed.utc_offset.total_seconds() // 60)
        assert format_recorder_timestamp(parsed.recorded_at, offset_min) == stamp
    assert format_recorder_timestamp(None, -480) == ""


def test_temperature_and_times_heard_formats() -> None:
    assert format_temperature(9.3) == "9.3C"
    assert format_temperature(-2.5) == "-2.5C" and format_temperature(10) == "10.0C"
    assert format_temperature(None) == "" and format_temperature(float("nan")) == ""
    assert format_times_heard([(40, 60), (0, 10), (10, 20)]) == "0-20, 40-60"
    assert format_times_heard([(12.5, 22.5), (20, 30)]) == "12.5-30"
    assert format_times_heard([]) == "N/A"


def test_file_stem_from_any_path() -> None:
    assert file_stem("/cards/pond/20221201_190000.WAV") == "20221201_190000"
    assert file_stem(r"E:\DATA\20221201_190000.wav") == "20221201_190000"
    assert file_stem('=HYPERLINK("x").wav') == '=HYPERLINK("x")'


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)"])
def test_formula_triggers_get_an_apostrophe(text: str) -> None:
    assert guard_formula(text) == "'" + text


def test_guard_leaves_plain_text_and_numbers() -> None:
    assert guard_formula("20221201_190000") == "20221201_190000"
    assert guard_formula("a=b") == "a=b"
    assert guard_formula(-2.5) == -2.5
    frame = guard_frame(pd.DataFrame({"t": ["=x", "ok"], "n": [-1.0, 2.0]}))
    assert frame["t"].tolist() == ["'=x", "ok"] and frame["n"].tolist() == [-1.0, 2.0]


def test_night_runs_from_noon_to_noon() -> None:
    assert night_of(datetime(2022, 12, 2, 2, 10)) == date(2022, 12, 1)
    assert night_of(datetime(2022, 12, 2, 11, 59)) == date(2022, 12, 1)
    assert night_of(datetime(2022, 12, 2, 12, 0)) == date(2022, 12, 2)


@pytest.fixture
def tables():
    return build_report(rf.recordings(), rf.detections(), rf.window_summary(), rf.meta())


def test_results_has_the_original_columns_first_and_in_order(tables) -> None:
    assert tuple(tables.results.columns[: len(RESULTS_COLUMNS)]) == RESULTS_COLUMNS
    assert RESULTS_COLUMNS == (
        "Model Name : Version", "File Name", "Prediction", "Times Heard", "Device ID",
        "Timestamp", "Temperature", "Review Date",
    )  # fmt: skip
    assert {"Max Score (RADR)", "Positive Windows (RADR)", "Duration (s)", "Recorded (UTC)",
            "Recorded (Local)", "Status"} <= set(tables.results.columns)  # fmt: skip


def test_results_rows_read_like_the_original(tables) -> None:
    res = tables.results.set_index("File Name")
    first = res.loc["20221201_190000"]
    assert first["Model Name : Version"] == "AST_Rana_Draytonii:1.0"
    assert first["Prediction"] == "Positive"
    assert first["Times Heard"] == "0-20, 40-60"
    assert first["Device ID"] == "AudioMoth 249BC30461CBB1E6"
    assert first["Timestamp"] == "19:00:00 01/12/2022 (UTC-8)"
    assert first["Temperature"] == "9.3C"
    assert first["Review Date"] == date(2023, 7, 22)  # the later of two reviews
    assert first["Max Score (RADR)"] == 0.9 and first["Positive Windows (RADR)"] == 4
    assert first["Recorded (UTC)"] == datetime(2022, 12, 2, 3, 0)
    assert first["Recorded (Local)"] == datetime(2022, 12, 1, 19, 0)
    assert first["Review Result"] == "confirmed" and first["Events"] == 2

    quiet = res.loc['=HYPERLINK("x")']  # text is kept true here and guarded when written
    assert (quiet["Prediction"], quiet["Times Heard"]) == ("Negative", "N/A")
    assert pd.isna(quiet["Review Date"]) and quiet["Events"] == 0
    assert res.loc["20221202_021000", "Temperature"] == "-2.5C"


def test_a_recording_the_model_never_scored_is_not_negative(tables) -> None:
    failed = tables.results.set_index("File Name").loc["20221204_190000"]
    assert failed["Prediction"] == "Not analysed"
    assert failed["Times Heard"] == "N/A" and failed["Status"] == "failed"
    assert "more audio" in failed["Error"] and failed["Temperature"] == ""


def test_detections_one_row_per_event_with_review(tables) -> None:
    det = tables.detections
    assert len(det) == 3
    assert list(det["Start (s)"]) == [0.0, 40.0, 30.0]  # by call time, local
    first = det.iloc[0]
    assert (first["Verdict"], first["Reviewer"], first["Note"]) == ("confirmed", "ann", "+cmd")
    assert first["Reviewed (UTC)"] == pd.Timestamp(2023, 7, 22, 17, 5)
    assert det.iloc[2]["Call Time (Local)"] == pd.Timestamp(2022, 12, 2, 2, 10, 30)
    assert det.iloc[2]["Verdict"] == ""


def test_nights_are_effort_aware(tables) -> None:
    nights = tables.nights.set_index("Night")
    assert list(nights.index) == [date(2022, 11, 30) + timedelta(days=i) for i in range(5)]
    calls = nights.loc[date(2022, 12, 1)]
    assert calls["Effort"] == "calls" and calls["Recordings"] == 3
    assert calls["Minutes Recorded"] == 3.0 and calls["Events"] == 3
    # 19:00:00-19:00:20 and 19:00:40-19:01:00 share the minute 19:00; 02:10:30-02:10:50.
    assert calls["Minutes with Calls"] == 2 and calls["Confirmed Events"] == 1
    assert calls["First Call (Local)"] == pd.Timestamp(2022, 12, 1, 19, 0)
    assert calls["Last Call (Local)"] == pd.Timestamp(2022, 12, 2, 2, 10, 30)
    assert calls["Mean Temperature (C)"] == pytest.approx((9.3 + 9.1 - 2.5) / 3, abs=0.05)

    quiet = nights.loc[date(2022, 12, 3)]  # good audio, no calls
    assert quiet["Effort"] == "no calls" and quiet["Minutes Recorded"] == 1.0
    assert quiet["Minutes Analysed"] == 1.0 and quiet["Events"] == 0
    assert quiet["Minutes with Calls"] == 0 and pd.isna(quiet["First Call (Local)"])

    for empty in (date(2022, 11, 30), date(2022, 12, 2)):  # in range, no audio at all
        row = nights.loc[empty]
        assert row["Effort"] == "no audio" and row["Minutes Recorded"] == 0
        assert row["Recordings"] == 0 and pd.isna(row["Mean Temperature (C)"])
    assert nights.loc[date(2022, 12, 4), "Effort"] == "not analysed"


def test_date_range_selects_nights(tables) -> None:
    narrow = build_report(
        rf.recordings(), rf.detections(), rf.window_summary(),
        rf.meta(date_from=date(2022, 12, 3), date_to=date(2022, 12, 3)),
    )  # fmt: skip
    assert list(narrow.results["File Name"]) == ["20221203_190000"]
    assert narrow.detections.empty and list(narrow.nights["Night"]) == [date(2022, 12, 3)]
    # Without a range the nights span the audio, first to last.
    open_range = build_report(
        rf.recordings(), rf.detections(), rf.window_summary(),
        rf.meta(date_from=None, date_to=None),
    )  # fmt: skip
    assert open_range.nights["Night"].min() == date(2022, 12, 1)
    assert open_range.nights["Night"].max() == date(2022, 12, 4)
    assert len(open_range.results) == 5


def test_recording_of_unknown_time_only_without_a_range() -> None:
    recs = rf.recordings()
    recs.loc[recs["recording_id"] == 4, "recorded_at"] = None
    ranged = build_report(recs, rf.detections(), rf.window_summary(), rf.meta())
    assert "20221203_190000" not in set(ranged.results["File Name"])
    whole = build_report(
        recs, rf.detections(), rf.window_summary(), rf.meta(date_from=None, date_to=None)
    )
    row = whole.results.set_index("File Name").loc["20221203_190000"]
    assert row["Timestamp"] == "" and pd.isna(row["Recorded (UTC)"])


def test_about_names_site_model_and_thresholds(tables) -> None:
    about = dict(zip(tables.about["Field"], tables.about["Value"], strict=True))
    assert about["Site"] == "Pond A" and about["Latitude"] == 37.123456
    assert about["Model Name : Version"] == "AST_Rana_Draytonii:1.0"
    assert about["Checkpoint SHA-256"] == "ab" * 32
    assert about["Thresholds"] == "RADR >= 0.5"
    assert about["Generated (UTC)"] == datetime(2024, 1, 2, 3, 4, 5)
    assert about["Devices"] == "AudioMoth 249BC30461CBB1E6"
    assert about["First Night"] == date(2022, 11, 30) and about["Nights"] == 5
    assert about["RanaWatch Version"] == "0.1.0"


def test_missing_input_column_is_named() -> None:
    with pytest.raises(ValueError, match="analysed"):
        build_report(
            rf.recordings().drop(columns="analysed"),
            rf.detections(),
            rf.window_summary(),
            rf.meta(),
        )


def test_several_target_species_each_get_their_times_heard() -> None:
    dets = rf.detections()
    dets.loc[dets["detection_id"] == 2, "label"] = "RACA"
    tables = build_report(
        rf.recordings(), dets, rf.window_summary(), rf.meta(target_labels=("RADR", "RACA"))
    )
    first = tables.results.set_index("File Name").loc["20221201_190000"]
    assert first["Times Heard"] == "0-20, 40-60" and first["Prediction"] == "Positive"
    assert (first["Times Heard (RADR)"], first["Times Heard (RACA)"]) == ("0-20", "40-60")
    assert first["Max Score (RADR)"] == 0.9 and pd.isna(first["Max Score (RACA)"])
    # One species only: no per-species columns, the original layout.
    single = build_report(rf.recordings(), rf.detections(), rf.window_summary(), rf.meta())
    assert not [c for c in single.results.columns if c.startswith("Times Heard (")]
