"""Model versions side by side: what each was trained on, what it found, how it agrees.

The dashboard's Models page reads these. Counts cover the page scope (sites, nights) and
only finished detection runs, and are summed in SQL: effort, calls and events per night
from the sums the Overview reads (:mod:`db.activity_sums`), failed runs and the reviews
from their rows. Recordings a version never scored count for it neither way: two versions
are compared on the recordings both scored (with no site or night chosen, also those whose
clock was never set, which belong to no night).

The reviews are the ground truth people made: a version *finds* a confirmed call when one
of its events of the same label overlaps it, and *avoids* a rejected one when none does,
whichever version's detection was reviewed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from db.dashboard import Scope, dialect_of, in_scope, read_frame, scoped
from db.model_versions import model_tag
from db.models import (
    ActivityHour,
    Detection,
    DetectionRun,
    ModelVersion,
    Recording,
    RecordingStatus,
    Verdict,
)
from db.reviews import latest_reviews

VERSION_COLUMNS = [
    "model_version_id",
    "model",
    "registered_at",
    "checkpoint",
    "trained_here",
    "training_clips",
    "validation_ap",
    "test_ap",
    "recordings_scored",
    "recordings_failed",
    "minutes_analysed",
    "minutes_with_calls",
    "events",
    "confirmed",
    "confirmed_found",
    "rejected",
    "rejected_avoided",
]
NIGHT_COLUMNS = [
    "night",
    "model_version_id",
    "recordings",
    "minutes_analysed",
    "minutes_with_calls",
    "events",
]


@contextmanager
def _serial_plan(session: Session) -> Iterator[None]:
    """PostgreSQL without parallel workers for the statements inside: it plans the two
    sides of a comparison as a parallel hash join, which took 3x the merge join of two
    index-only scans on a 2-core server."""
    postgres = dialect_of(session) == "postgresql"
    if postgres:
        session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
    try:
        yield
    finally:
        if postgres:
            session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather TO DEFAULT"))


def _is_positive(run: Any) -> Any:
    """1 where ``run`` (a detection-runs alias) found calls (an event: what makes a
    recording Positive), else 0."""
    return sa.case((run.n_events > 0, 1), else_=0)


def _training(settings: dict[str, Any]) -> dict[str, Any]:
    """Clips trained on and the validation and test average precision of a trained model."""
    training = dict((settings or {}).get("training") or {})
    clips = (training.get("data") or {}).get("clips")
    total = sum(clips.values()) if isinstance(clips, dict) else clips
    return {
        "trained_here": bool(training),
        "training_clips": total,
        "validation_ap": (training.get("validation") or {}).get("average_precision"),
        "test_ap": (training.get("test") or {}).get("average_precision"),
    }


def nightly_by_version(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per night and version in scope: recordings it finished, their minutes, the minutes
    with calls (of its target labels) and its events; from the sums per site, night and hour
    (:mod:`db.activity_sums`), as on the Overview.

    Returns
    -------
    pandas.DataFrame
        :data:`NIGHT_COLUMNS`; ``night`` as a timestamp, nights ascending.
    """
    sums = ActivityHour
    query = in_scope(
        select(
            sums.night,
            sums.model_version_id,
            sa.func.sum(sums.recordings),
            sa.func.sum(sums.audio_s) / 60.0,
            sa.func.sum(sums.call_s) / 60.0,
            sa.func.sum(sums.events),
        )
        .where(sums.model_version_id.is_not(None))  # type: ignore[union-attr]
        .group_by(sums.night, sums.model_version_id)
        .order_by(sums.night),
        scope,
        sums.site_id,
        sums.night,
    )
    frame = read_frame(session, query, NIGHT_COLUMNS)
    return frame.astype(
        {
            "night": "datetime64[ns]",
            "model_version_id": "int64",
            "recordings": "int64",
            "minutes_analysed": float,
            "minutes_with_calls": float,
            "events": "int64",
        }
    )


def failed_runs(*, session: Session, scope: Scope, version_ids: list[int]) -> pd.DataFrame:
    """Recordings each of ``version_ids`` could not score, in scope: ``model_version_id``,
    ``recordings_failed``."""
    query = scoped(
        select(DetectionRun.model_version_id, sa.func.count())
        .join(Recording, Recording.id == DetectionRun.recording_id)
        .where(
            # Named versions: the queue index finds their failed runs (status alone would
            # read every run).
            DetectionRun.model_version_id.in_(version_ids),  # type: ignore[attr-defined]
            DetectionRun.status == RecordingStatus.FAILED,
        )
        .group_by(DetectionRun.model_version_id),
        session,
        scope,
    )
    return read_frame(session, query, ["model_version_id", "recordings_failed"])


def review_check(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per version: reviewed calls on recordings it scored, and how many it got right.

    Returns
    -------
    pandas.DataFrame
        ``model_version_id``, ``confirmed``, ``confirmed_found`` (an event of the version
        overlaps the confirmed call), ``rejected``, ``rejected_avoided`` (none overlaps it).
    """
    latest = latest_reviews()
    reviewed = sa.orm.aliased(Detection, name="reviewed")
    mine = sa.orm.aliased(Detection, name="mine")
    overlaps = (
        sa.exists()
        .where(
            mine.recording_id == reviewed.recording_id,
            mine.model_version_id == DetectionRun.model_version_id,
            mine.label == reviewed.label,
            mine.start_s < reviewed.end_s,
            mine.end_s > reviewed.start_s,
        )
        .correlate(reviewed, DetectionRun)
    )
    # Counted per version, verdict and whether the version found it: the overlap is looked
    # up once per reviewed call and version (a grouping key, not a term of several sums).
    found = sa.case((overlaps, 1), else_=0)
    confirmed = latest.c.verdict == Verdict.CONFIRMED.value
    query = scoped(
        select(DetectionRun.model_version_id, confirmed, found, sa.func.count())
        .select_from(reviewed)
        .join(latest, latest.c.detection_id == reviewed.id)
        .join(Recording, Recording.id == reviewed.recording_id)
        .join(DetectionRun, DetectionRun.recording_id == reviewed.recording_id)
        .where(
            DetectionRun.status == RecordingStatus.DONE,
            latest.c.verdict.in_([Verdict.CONFIRMED.value, Verdict.REJECTED.value]),
        )
        .group_by(DetectionRun.model_version_id, confirmed, found),
        session,
        scope,
    )
    rows = read_frame(session, query, ["model_version_id", "confirmed", "found", "n"])
    rows = rows.astype({"confirmed": bool, "found": bool, "n": "int64"})
    confirmed_rows, rejected_rows = rows[rows["confirmed"]], rows[~rows["confirmed"]]
    parts = {
        "confirmed": confirmed_rows,
        "confirmed_found": confirmed_rows[confirmed_rows["found"]],
        "rejected": rejected_rows,
        "rejected_avoided": rejected_rows[~rejected_rows["found"]],
    }
    out = pd.DataFrame({"model_version_id": rows["model_version_id"].unique()})
    for column, part in parts.items():
        counts = part.groupby("model_version_id")["n"].sum()
        out[column] = out["model_version_id"].map(counts).fillna(0).astype("int64")
    return out


def model_versions(
    *, session: Session, scope: Scope, nightly: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every registered version, newest first, with its training and its results in scope.

    Parameters
    ----------
    nightly
        The scope's :func:`nightly_by_version`, when the caller has it.

    Returns
    -------
    pandas.DataFrame
        :data:`VERSION_COLUMNS`; counts are 0 for a version without runs in scope, training
        figures missing for a model not trained by RanaWatch.
    """
    versions = session.exec(select(ModelVersion).order_by(ModelVersion.id.desc())).all()  # type: ignore[union-attr]
    base = pd.DataFrame(
        [
            {
                "model_version_id": v.id,
                "model": model_tag(v),
                "registered_at": v.created_at,
                "checkpoint": v.checkpoint_sha256[:12],
            }
            | _training(v.settings)
            for v in versions
        ],
        columns=VERSION_COLUMNS[:8],
    )
    if nightly is None:
        nightly = nightly_by_version(session=session, scope=scope)
    totals = (
        nightly.drop(columns="night")
        .groupby("model_version_id", as_index=False)
        .sum()
        .rename(columns={"recordings": "recordings_scored"})
    )
    out = base.merge(totals, on="model_version_id", how="left")
    ids = [int(i) for i in base["model_version_id"]]
    for part in (
        failed_runs(session=session, scope=scope, version_ids=ids),
        review_check(session=session, scope=scope),
    ):
        out = out.merge(part, on="model_version_id", how="left")
    out[["minutes_analysed", "minutes_with_calls"]] = (
        out[["minutes_analysed", "minutes_with_calls"]].astype(float).fillna(0.0)
    )
    counts = [c for c in VERSION_COLUMNS[8:] if not c.startswith("minutes")]
    out[counts] = out[counts].fillna(0).astype("int64")
    return out[VERSION_COLUMNS]


def version_names(*, session: Session, ids: list[int]) -> dict[int, str]:
    """``NAME:VERSION`` of the model versions ``ids`` (unknown ids left out)."""
    found = session.exec(select(ModelVersion).where(ModelVersion.id.in_(ids))).all()  # type: ignore[union-attr]
    return {v.id: model_tag(v) for v in found if v.id is not None}


def agreement(*, session: Session, scope: Scope, first_id: int, second_id: int) -> pd.DataFrame:
    """How two versions called the recordings both scored: counts per pair of verdicts.

    Returns
    -------
    pandas.DataFrame
        ``first_calls``, ``second_calls`` (booleans: the version found calls) and
        ``recordings``; only pairs that occur.
    """
    first = sa.orm.aliased(DetectionRun, name="first_run")
    second = sa.orm.aliased(DetectionRun, name="second_run")
    first_calls, second_calls = _is_positive(first), _is_positive(second)
    # Both sides read from the runs' index alone (version, status, recording, events),
    # already in recording order: a merge join, not a hash table of a season's runs.
    query = (
        select(first_calls, second_calls, sa.func.count())
        .select_from(first)
        .join(second, second.recording_id == first.recording_id)
        .where(
            first.model_version_id == first_id,
            second.model_version_id == second_id,
            first.status == RecordingStatus.DONE,
            second.status == RecordingStatus.DONE,
        )
        .group_by(first_calls, second_calls)
    )
    if scope.sites or scope.date_from or scope.date_to:
        query = scoped(query.join(Recording, Recording.id == first.recording_id), session, scope)
    with _serial_plan(session):
        frame = read_frame(session, query, ["first_calls", "second_calls", "recordings"])
    return frame.astype({"first_calls": bool, "second_calls": bool, "recordings": "int64"})
