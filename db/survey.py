"""Read-only queries behind ``ranawatch survey``: several sites, one model version, a range.

A survey compares sites, so every site is read with the same model version: the one named,
or the newest with finished runs at any of the sites. The frames are the site report's own
(:mod:`db.reports`), so a survey and a site report never disagree on a night or an event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from core.errors import ConfigError
from core.report.survey import SurveySite
from db.model_versions import decision_of, model_tag, resolve_model_version
from db.reports import (
    detections_frame,
    list_sites,
    recordings_frame,
    require_site,
    utc_window,
    window_summary_frame,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SurveyData:
    """The sites' frames for one model version, and what the model decides."""

    sites: list[SurveySite]
    model_tag: str
    checkpoint_sha256: str
    labels: list[str]
    decision_rule: str


def load_survey(
    *,
    session: Session,
    sites: Sequence[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    model: str | None = None,
) -> SurveyData:
    """Every named site's recordings, events and window scores for one model version.

    Parameters
    ----------
    sites
        Site names; ``None``: every site in the database, in the order they were registered.
    date_from, date_to
        First and last night (evening dates, inclusive); ``None``: open-ended.
    model
        ``NAME:VERSION`` (or ``NAME``); ``None``: the newest with finished runs at any site.

    Raises
    ------
    ConfigError
        An unknown site or model, no site at all, or ``date_from`` after ``date_to``.
    """
    if date_from and date_to and date_from > date_to:
        raise ConfigError(f"--from {date_from} is after --to {date_to}: swap them")
    if sites is None:
        rows = [require_site(session=session, name=name) for _, name in list_sites(session=session)]
    else:
        rows = [require_site(session=session, name=name) for name in dict.fromkeys(sites)]
    if not rows:
        raise ConfigError("no site in the database: ingest recordings first (`ranawatch ingest`)")
    ids = [int(row.id) for row in rows if row.id is not None]
    mv = resolve_model_version(session=session, model=model, site_ids=ids)
    assert mv.id is not None
    labels, _, rule = decision_of(mv)
    start, end = utc_window(date_from, date_to)
    survey_sites = []
    for row in rows:
        assert row.id is not None
        window = {"session": session, "site_id": row.id, "start": start, "end": end}
        survey_sites.append(
            SurveySite(
                name=row.name,
                recordings=recordings_frame(model_version_id=mv.id, **window),
                detections=detections_frame(model_version_id=mv.id, **window),
                window_summary=window_summary_frame(model_version=mv, labels=labels, **window),
                latitude=row.latitude,
                longitude=row.longitude,
            )
        )
    logger.info("survey of %d sites with %s", len(survey_sites), model_tag(mv))
    return SurveyData(
        sites=survey_sites,
        model_tag=model_tag(mv),
        checkpoint_sha256=mv.checkpoint_sha256,
        labels=labels,
        decision_rule=rule,
    )


def survey_about(
    data: SurveyData, *, range_text: str, generated: str, version: str
) -> list[tuple[str, str]]:
    """The README's head: model, rule, range, when and by what the files were written."""
    return [
        ("Model Name : Version", data.model_tag),
        ("Checkpoint SHA-256", data.checkpoint_sha256),
        ("Decision Rule", data.decision_rule),
        ("Range", range_text),
        ("Generated (UTC)", generated),
        ("RanaWatch Version", version),
    ]
