"""Detection histories, effort and covariates of a known small season, exactly."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.report.survey import SurveySpec, build_survey
from tests.core.report import survey_frames as sf

NA = np.nan
MARCH = {"date_from": date(2024, 3, 1), "date_to": date(2024, 3, 6)}


def _grid(frame: pd.DataFrame) -> list[list[float]]:
    return frame.astype(float).to_numpy().tolist()


def _same(frame: pd.DataFrame, expected: list[list[float]]) -> None:
    np.testing.assert_array_equal(np.array(_grid(frame)), np.array(expected, dtype=float))


def test_nightly_history_reads_1_0_and_na_per_night() -> None:
    survey = build_survey(sf.season(), SurveySpec(labels=[sf.FROG], **MARCH))
    assert survey.occasions.names == [f"2024-03-0{d}" for d in range(1, 7)]
    model = survey.detected[(sf.FROG, "model")]
    assert list(model.index) == ["Gap Pond", "Dry Creek", "Nowhere"]
    _same(model, [[1, 1, NA, NA, 1, NA], [0] * 6, [NA] * 6])
    _same(survey.detected[(sf.FROG, "confirmed")], [[1, 0, NA, NA, 0, NA], [0] * 6, [NA] * 6])
    _same(survey.effort, [[60, 120, 0, 0, 60, 0], [60] * 6, [0] * 6])
    _same(survey.temperature, [[10, 8, NA, NA, 12, NA], [8] * 6, [NA] * 6])
    # 02:10 after the night of 2 March is hour 26.17 of that night.
    _same(
        survey.first_call_hour[(sf.FROG, "model")],
        [[20.17, 26.17, NA, NA, 20.5, NA], [NA] * 6, [NA] * 6],
    )


def test_three_night_occasions() -> None:
    survey = build_survey(sf.season(), SurveySpec(labels=[sf.FROG], occasion_nights=3, **MARCH))
    table = survey.occasions.table(3)
    assert list(table["first_night"]) == [date(2024, 3, 1), date(2024, 3, 4)]
    assert list(table["last_night"]) == [date(2024, 3, 3), date(2024, 3, 6)]
    _same(survey.detected[(sf.FROG, "model")], [[1, 1], [0, 0], [NA, NA]])
    _same(survey.detected[(sf.FROG, "confirmed")], [[1, 0], [0, 0], [NA, NA]])
    _same(survey.effort, [[180, 60], [180, 180], [0, 0]])
    _same(survey.first_call_hour[(sf.FROG, "model")], [[20.17, 20.5], [NA, NA], [NA, NA]])


def test_recorded_nights_only_drops_nights_no_site_recorded() -> None:
    sites = [sf.gap_pond(), sf.nowhere()]
    survey = build_survey(sites, SurveySpec(labels=[sf.FROG], nights="recorded", **MARCH))
    assert survey.occasions.names == ["2024-03-01", "2024-03-02", "2024-03-05", "2024-03-06"]
    _same(survey.detected[(sf.FROG, "model")], [[1, 1, 1, NA], [NA] * 4])


def test_rows_by_device_and_site_covariates() -> None:
    survey = build_survey(sf.season(), SurveySpec(labels=[sf.FROG], by="device", **MARCH))
    assert list(survey.detected[(sf.FROG, "model")].index) == ["AM-1", "AM-2"]
    assert survey.site_covs.loc["AM-1", "site"] == "Gap Pond"
    by_site = build_survey(sf.season(), SurveySpec(labels=[sf.FROG], **MARCH)).site_covs
    assert by_site.loc["Gap Pond"].tolist() == [37.1, -122.3, "AM-1", 1]
    assert by_site.loc["Nowhere", "n_devices"] == 0


def test_long_table_one_row_per_recorded_night() -> None:
    survey = build_survey(sf.season(), SurveySpec(labels=[sf.FROG], **MARCH))
    pond = survey.long[survey.long["site"] == "Gap Pond"].set_index("night")
    assert list(pond.index) == [date(2024, 3, d) for d in (1, 2, 5, 6)]
    second = pond.loc[date(2024, 3, 2)]
    assert (second["recordings"], second["minutes_recorded"], second["minutes_analysed"]) == (
        2, 120.0, 120.0,
    )  # fmt: skip
    assert (second["events"], second["confirmed_events"], second["minutes_with_calls"]) == (1, 0, 1)
    assert second["max_score"] == 0.8 and second["mean_temperature_c"] == 8.0
    assert str(second["first_call"]) == "2024-03-03 02:10:00"
    failed = pond.loc[date(2024, 3, 6)]
    assert (failed["minutes_recorded"], failed["minutes_analysed"]) == (60.0, 0.0)
    assert len(survey.long[survey.long["site"] == "Dry Creek"]) == 6


def test_a_range_of_years_falls_back_to_recorded_nights() -> None:
    spec = SurveySpec(labels=[sf.FROG], date_from=date(2020, 1, 1), date_to=date(2029, 1, 1))
    survey = build_survey(sf.season(), spec)
    assert len(survey.occasions.names) == 6 and "more than 400" in survey.notes[0]


def test_bad_occasion_length_is_refused() -> None:
    with pytest.raises(ValueError, match="1 or more"):
        build_survey(sf.season(), SurveySpec(labels=[sf.FROG], occasion_nights=0))
