"""Read-only queries behind the dashboard pages, returning DataFrames (and lists of names).

The numbers are the site report's: the queries of :mod:`db.reports` read the rows and
:func:`core.report.tables.build_report` turns them into per-night effort (``Nights``) and one row
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

from core.report.nights import NIGHT_COLUMNS
from core.report.tables import DETECTION_COLUMNS, WINDOW_SUMMARY_COLUMNS, ReportMeta, build_report
from db import crud
from db.reports import (
    decision_of,
    detections_frame,
    list_site_names,
    recordings_frame,
    require_site,
    resolve_model_version,
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
        (:data:`core.report.nights.NIGHT_COLUMNS`; minutes of audio, local times).
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
        recordings, detections, meta = _site_frames(session, site, model)
    no_scores = pd.DataFrame(columns=list(WINDOW_SUMMARY_COLUMNS))
    tables = build_report(recordings, detections, no_scores, meta)
    results = tables.results.sort_values(
        "Recorded (UTC)", ascending=False, na_position="last", kind="stable"
    )
    logger.debug("overview of %s: %d recordings", meta.site_name, len(tables.results))
    return SiteOverview(
        site=meta.site_name,
        model_tag=meta.model_tag if meta.model_name else None,
        nights=tables.nights,
        latest=results.loc[:, list(LATEST_COLUMNS)].head(latest).reset_index(drop=True),
        recordings=len(tables.results),
    )


def _site_frames(
    session: Session, site: str, model: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, ReportMeta]:
    # The report's own queries, less its per-window score summary: that aggregate scans
    # every window of the season and the overview shows no scores.
    site_row = require_site(session=session, name=site)
    assert site_row.id is not None
    frames = {"session": session, "site_id": site_row.id}
    if model is None and not crud.find_model_versions(session=session):
        # Before the first detection run there is no model to show, but the effort (nights
        # with audio) is already worth seeing: every recording reads "Not analysed".
        meta = ReportMeta(site_name=site_row.name, model_name="", model_version="")
        recordings = recordings_frame(model_version_id=-1, **frames)
        return recordings, pd.DataFrame(columns=list(DETECTION_COLUMNS)), meta
    mv = resolve_model_version(session=session, model=model, site_id=site_row.id)
    assert mv.id is not None
    meta = ReportMeta(
        site_name=site_row.name,
        model_name=mv.name,
        model_version=mv.version,
        target_labels=tuple(decision_of(mv)[0]),
    )
    return (
        recordings_frame(model_version_id=mv.id, **frames),
        detections_frame(model_version_id=mv.id, **frames),
        meta,
    )
