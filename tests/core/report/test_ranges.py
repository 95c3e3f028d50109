"""Night ranges: seasons, recorded nights only, and long runs without audio as one span."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from core.report.ranges import NightSpan, night_spans, parse_month_day, resolve_range, season_range
from core.report.tables import build_report
from tests.core.report import report_frames as rf


def test_seasons_cross_the_new_year_by_default() -> None:
    assert season_range("2023-24") == (date(2023, 11, 1), date(2024, 4, 30))
    assert season_range("2023/2024") == season_range("2023") == season_range("2023-24")
    assert season_range("2024", start=(3, 1), end=(8, 31)) == (date(2024, 3, 1), date(2024, 8, 31))
    assert season_range("2023-24", start=(12, 1), end=(2, 29)) == (
        date(2023, 12, 1),
        date(2024, 2, 29),
    )
    assert season_range("2022-23", start=(12, 1), end=(2, 29))[1] == date(2023, 2, 28)


@pytest.mark.parametrize("bad", ["2023-25", "23-24", "spring", "2024-2024"])
def test_bad_seasons_say_what_to_write(bad: str) -> None:
    with pytest.raises(ValueError, match="season"):
        season_range(bad)


def test_month_days_and_range_contradictions() -> None:
    assert parse_month_day("11-01") == (11, 1) and parse_month_day("2-29") == (2, 29)
    with pytest.raises(ValueError, match="MM-DD"):
        parse_month_day("Nov 1")
    with pytest.raises(ValueError, match="not both"):
        resolve_range(season="2023-24", date_from=date(2024, 1, 1))
    with pytest.raises(ValueError, match="swap"):
        resolve_range(date_from=date(2024, 2, 1), date_to=date(2024, 1, 1))


def test_short_gaps_are_listed_and_long_ones_folded() -> None:
    recorded = [date(2024, 3, 1), date(2024, 3, 4), date(2024, 3, 4), date(2024, 3, 20)]
    spans = night_spans(recorded, date(2024, 2, 28), date(2024, 3, 21), max_empty_run=7)
    assert [(s.first.day, s.last.day, s.recorded) for s in spans] == [
        (28, 28, False), (29, 29, False), (1, 1, True), (2, 2, False), (3, 3, False),
        (4, 4, True), (5, 19, False), (20, 20, True), (21, 21, False),
    ]  # fmt: skip
    assert night_spans(recorded, mode="recorded") == [
        NightSpan(n, n, True) for n in (date(2024, 3, 1), date(2024, 3, 4), date(2024, 3, 20))
    ]
    assert night_spans([], date(2020, 1, 1), date(2029, 12, 31)) == [
        NightSpan(date(2020, 1, 1), date(2029, 12, 31), False)
    ]


def test_years_between_recordings_make_a_few_rows_not_one_per_night() -> None:
    # A recorder whose clock was never set (1970) beside a season in 2022.
    recs = rf.recordings()
    recs.loc[len(recs)] = {**recs.iloc[0].to_dict(), "recording_id": 9,
                           "recorded_at": datetime(1970, 1, 1, 0, 5, tzinfo=UTC)}  # fmt: skip
    tables = build_report(recs, rf.detections(), rf.window_summary(), rf.meta(date_from=None))
    nights = tables.nights
    assert len(nights) < 10
    gap = nights[nights["Through Night"].notna()].iloc[0]
    assert (gap["Night"], gap["Through Night"], gap["Effort"]) == (
        date(1970, 1, 1),
        date(2022, 11, 30),
        "no audio",
    )
    about = dict(zip(tables.about["Field"], tables.about["Value"], strict=True))
    assert about["Nights with Audio"] == 4 and about["First Night"] == date(1969, 12, 31)


def test_a_clock_issue_keeps_the_recording_out_of_every_night() -> None:
    recs = rf.recordings()
    recs["clock_issue"] = None
    recs.loc[recs["recording_id"] == 4, "clock_issue"] = "clock not set"
    tables = build_report(
        recs, rf.detections(), rf.window_summary(), rf.meta(date_from=None, date_to=None)
    )
    assert date(2022, 12, 3) not in set(tables.nights["Night"][tables.nights["Recordings"] > 0])
    assert "20221203_190000" in set(tables.results["File Name"])  # still listed
    assert pd.isna(tables.results.set_index("File Name").loc["20221203_190000", "Night"])


def test_recorded_mode_shows_recorded_nights_only() -> None:
    tables = build_report(
        rf.recordings(), rf.detections(), rf.window_summary(), rf.meta(nights="recorded")
    )
    assert list(tables.nights["Night"]) == [date(2022, 12, 1), date(2022, 12, 3), date(2022, 12, 4)]
