"""Survey queries on SQLite and PostgreSQL: all sites, one model version, clocks that lie."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa
from sqlmodel import select

from core.errors import ConfigError
from core.report.survey import SurveySpec, build_survey
from core.report.tables import build_report
from db import reports
from db.models import Recording
from db.session import session_scope
from db.survey import load_survey
from tests.db import report_seed as seed

MARCH = {"date_from": date(2024, 3, 1), "date_to": date(2024, 3, 4)}


@pytest.fixture
def ids(engine: sa.Engine) -> dict[str, int]:
    return seed.seed(engine)


def test_one_model_version_for_every_site(engine, ids) -> None:
    with session_scope(engine) as session:
        newest = load_survey(session=session)
        named = load_survey(session=session, model="AST_Rana_Draytonii:1.0", **MARCH)
    # 2.0 ran at Laguna Pond only, yet the survey reads Upper Creek with it too.
    assert newest.model_tag == "AST_Rana_Draytonii:2.0"
    assert [s.name for s in newest.sites] == [seed.SITE, seed.OTHER_SITE]
    assert named.labels == [seed.FROG] and "argmax" in named.decision_rule
    survey = build_survey(named.sites, SurveySpec(labels=named.labels, **MARCH))
    y = survey.detected[(seed.FROG, "model")].astype(float).to_numpy()
    np.testing.assert_array_equal(y, [[1, np.nan, 0, np.nan], [1, np.nan, np.nan, np.nan]])


def test_unknown_site_and_reversed_range(engine, ids) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ConfigError, match="no site named 'Nowhere'"):
            load_survey(session=session, sites=["Nowhere"])
        with pytest.raises(ConfigError, match="swap"):
            load_survey(session=session, date_from=date(2024, 3, 5), date_to=date(2024, 3, 1))


def test_a_recording_with_a_clock_issue_is_in_no_night(engine, ids) -> None:
    with session_scope(engine) as session:
        rec = session.exec(select(Recording).where(Recording.id == ids["night3"])).one()
        rec.clock_issue = "clock not set"
        session.add(rec)
    with session_scope(engine) as session:
        data = reports.load_site_report(
            session=session, site=seed.SITE, model="AST_Rana_Draytonii:1.0"
        )
        survey_data = load_survey(session=session, model="AST_Rana_Draytonii:1.0")
    tables = build_report(data.recordings, data.detections, data.window_summary, data.meta)
    nights = tables.nights.set_index("Night")
    # 3 March keeps only its failed recording (not analysed); the clock-issue one is listed.
    assert nights.loc[date(2024, 3, 3), "Recordings"] == 1
    assert "20240303_190000" in set(tables.results["File Name"])
    survey = build_survey(survey_data.sites, SurveySpec(labels=survey_data.labels, **MARCH))
    assert np.isnan(survey.detected[(seed.FROG, "model")].astype(float).iloc[0, 2])
