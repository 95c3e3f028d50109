"""Tasks of the nightly survey: every site's detection histories in one folder.

Used by the ``write-site-reports`` flow (:mod:`flows.report`), which writes them into
``<reports dir>/_survey/`` after the site reports (a site folder can never be called
``_survey``: site folder names never start with ``_``). The folder is replaced whole, so a
reader sees last night's complete survey or tonight's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NONE

from core.report.files import replace_folder
from core.report.ranges import NightsMode
from core.report.sheets import range_text
from core.report.survey import SurveySpec, build_survey
from core.report.survey_files import write_survey_files
from db.reports import ranawatch_version
from db.session import get_engine, session_scope
from db.survey import load_survey, survey_about
from flows.tasks import DB_RETRIES, DB_RETRY_DELAY_S, transient_only

SURVEY_FOLDER = "_survey"


@task(name="write-survey", retries=DB_RETRIES, retry_delay_seconds=DB_RETRY_DELAY_S,
      retry_condition_fn=transient_only, cache_policy=NONE)  # fmt: skip
def write_survey(
    database_url: str,
    folder: Path,
    sites: list[str] | None,
    date_from: date | None,
    date_to: date | None,
    model: str | None,
    nights: NightsMode = "range",
    season: str | None = None,
    occasion_nights: int = 1,
) -> int:
    """Read the sites (db.survey), build the survey (core.report.survey) and write its files;
    returns the number of files written."""
    with session_scope(get_engine(database_url)) as session:
        data = load_survey(
            session=session, sites=sites, date_from=date_from, date_to=date_to, model=model
        )
    spec = SurveySpec(labels=data.labels, occasion_nights=occasion_nights, date_from=date_from,
                      date_to=date_to, nights=nights)  # fmt: skip
    survey = build_survey(data.sites, spec)
    about = survey_about(
        data,
        range_text=range_text(date_from, date_to, nights=nights, season=season),
        generated=f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}",
        version=ranawatch_version(),
    )
    written: list[Path] = []
    replace_folder(folder, lambda tmp: written.extend(write_survey_files(tmp, survey, about=about)))
    return len(written)
