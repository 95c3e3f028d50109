"""Read-only queries behind the dashboard pages; every function returns plain DataFrames.

The numbers are the site report's: :func:`db.reports.load_site_report` reads the rows and
:func:`core.report.build_report` turns them into per-night effort (``Nights``) and one row
per recording (``Results``), so the dashboard and the Excel workbook never disagree on what
a night, a call minute or a "Positive" recording is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session

from core.nights import NIGHT_COLUMNS
from core.report import DETECTION_COLUMNS, WINDOW_SUMMARY_COLUMNS, ReportMeta, build_report
from db import crud
from db.reports import (
    SiteReportData,
    list_site_names,
    load_site_report,
    recordings_frame,
    require_site,
)
from db.session import get_engine

logger = logging.getLogger(__name__)

# Flask config key holding the database URL the app was created for.
DATABASE_URL_KEY = "RANAWATCH_DATABASE_URL"
# What a page catches to say "the database cannot be read" instead of failing blank.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sa.exc.SQLAlchemyError, OSError)
LATEST_ROWS = 20
LATEST_COLUMNS: tuple[str, ...] = (
    "File Name",
    "Timestamp",
    "Prediction",
    "Times Heard",
    "Events",
    "Review Result",
    "Temperature",
    "Status",
    "Error",
)


@dataclass(frozen=True)
class SiteOverview:
    """What the overview page shows for one site.

    Attributes
    ----------
    site
        Site name.
    model_tag
        ``name:version`` of the model whose results are shown; ``None`` before any
        detection has run (every recording then reads "Not analysed").
    nights
        One row per night from the first to the last with audio
        (:data:`core.nights.NIGHT_COLUMNS`; minutes of audio, local times).
    latest
        The newest recordings first (:data:`LATEST_COLUMNS`); those of unknown time last.
    recordings
        Number of recordings at the site.
    """

    site: str
    model_tag: str | None
    nights: pd.DataFrame
    latest: pd.DataFrame
    recordings: int


def app_engine() -> sa.Engine:
    """The engine of the database the running app was created for (inside a request)."""
    return get_engine(current_app.config[DATABASE_URL_KEY])


def site_names(engine: sa.Engine) -> list[str]:
    """Every site name, alphabetically."""
    with Session(engine) as session:
        return list_site_names(session=session)


def empty_nights() -> pd.DataFrame:
    """A nights frame without rows, for a page that has nothing to show yet."""
    return pd.DataFrame(columns=list(NIGHT_COLUMNS))


def load_overview(
    engine: sa.Engine, site: str, *, model: str | None = None, latest: int = LATEST_ROWS
) -> SiteOverview:
    """Per-night effort and calls at ``site``, and its ``latest`` newest recordings.

    Parameters
    ----------
    engine
        The RanaWatch database (read only).
    site
        Site name.
    model
        ``NAME:VERSION`` or ``NAME``; ``None``: the newest model version with finished
        runs at the site (as the report picks it).
    latest
        How many recordings the ``latest`` table keeps.

    Raises
    ------
    ConfigError
        Unknown site or model.
    """
    with Session(engine) as session:
        if crud.find_model_versions(session=session):
            data = load_site_report(session=session, site=site, model=model)
            model_tag: str | None = data.meta.model_tag
        else:
            data, model_tag = _effort_only(session, site), None
    tables = build_report(data.recordings, data.detections, data.window_summary, data.meta)
    results = tables.results.sort_values(
        "Recorded (UTC)", ascending=False, na_position="last", kind="stable"
    )
    return SiteOverview(
        site=data.meta.site_name,
        model_tag=model_tag,
        nights=tables.nights,
        latest=results.loc[:, list(LATEST_COLUMNS)].head(latest).reset_index(drop=True),
        recordings=len(tables.results),
    )


def _effort_only(session: Session, site: str) -> SiteReportData:
    # Before the first detection run there is no model to report on, but the effort
    # (nights with audio) is already worth seeing: every recording reads "Not analysed".
    site_row = require_site(session=session, name=site)
    assert site_row.id is not None
    return SiteReportData(
        recordings=recordings_frame(session=session, site_id=site_row.id, model_version_id=-1),
        detections=pd.DataFrame(columns=list(DETECTION_COLUMNS)),
        window_summary=pd.DataFrame(columns=list(WINDOW_SUMMARY_COLUMNS)),
        meta=ReportMeta(site_name=site_row.name, model_name="", model_version=""),
    )
