"""Model versions side by side: what each was trained on, what it found, how it agrees.

The dashboard's Models page reads these. Counts cover the page scope (sites, nights) and
only finished detection runs; everything is counted in SQL, grouped by model version, so a
season of runs costs one pass per query. Recordings a version never scored count for it
neither way: two versions are compared on the recordings both scored.

The reviews are the ground truth people made: a version *finds* a confirmed call when one
of its events of the same label overlaps it, and *avoids* a rejected one when none does,
whichever version's detection was reviewed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from db.dashboard import NIGHT, Scope, read_frame, scoped
from db.model_versions import model_tag
from db.models import Detection, DetectionRun, ModelVersion, Recording, RecordingStatus, Verdict
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
    "recordings_with_calls",
    "events",
    "confirmed",
    "confirmed_found",
    "rejected",
    "rejected_avoided",
]


def _is_positive(run: Any = DetectionRun) -> Any:
    """1 for a run that found calls (an event: what makes a recording Positive), else 0."""
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


def _runs(session: Session, scope: Scope) -> pd.DataFrame:
    """Finished and failed runs, runs with calls and events per version, in scope."""
    done = DetectionRun.status == RecordingStatus.DONE
    query = scoped(
        select(
            DetectionRun.model_version_id,
            sa.func.sum(sa.case((done, 1), else_=0)),
            sa.func.sum(sa.case((DetectionRun.status == RecordingStatus.FAILED, 1), else_=0)),
            sa.func.sum(sa.case((done, _is_positive()), else_=0)),
            sa.func.sum(sa.case((done, DetectionRun.n_events), else_=0)),
        )
        .join(Recording, Recording.id == DetectionRun.recording_id)
        .group_by(DetectionRun.model_version_id),
        session,
        scope,
        timed=False,
    )
    columns = [
        "model_version_id",
        "recordings_scored",
        "recordings_failed",
        "recordings_with_calls",
        "events",
    ]
    return read_frame(session, query, columns)


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
    found = sa.case((overlaps, 1), else_=0)
    confirmed = latest.c.verdict == Verdict.CONFIRMED.value
    rejected = latest.c.verdict == Verdict.REJECTED.value
    query = scoped(
        select(
            DetectionRun.model_version_id,
            sa.func.sum(sa.case((confirmed, 1), else_=0)),
            sa.func.sum(sa.case((confirmed, found), else_=0)),
            sa.func.sum(sa.case((rejected, 1), else_=0)),
            sa.func.sum(sa.case((rejected, 1 - found), else_=0)),
        )
        .select_from(reviewed)
        .join(latest, latest.c.detection_id == reviewed.id)
        .join(Recording, Recording.id == reviewed.recording_id)
        .join(DetectionRun, DetectionRun.recording_id == reviewed.recording_id)
        .where(DetectionRun.status == RecordingStatus.DONE, confirmed | rejected)
        .group_by(DetectionRun.model_version_id),
        session,
        scope,
        timed=False,
    )
    columns = ["model_version_id", "confirmed", "confirmed_found", "rejected", "rejected_avoided"]
    return read_frame(session, query, columns)


def model_versions(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Every registered version, newest first, with its training and its results in scope.

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
    out = base.merge(_runs(session, scope), on="model_version_id", how="left")
    out = out.merge(review_check(session=session, scope=scope), on="model_version_id", how="left")
    counts = VERSION_COLUMNS[8:]
    out[counts] = out[counts].fillna(0).astype("int64")
    return out[VERSION_COLUMNS]


def version_names(*, session: Session, ids: list[int]) -> dict[int, str]:
    """``NAME:VERSION`` of the model versions ``ids`` (unknown ids left out)."""
    found = session.exec(select(ModelVersion).where(ModelVersion.id.in_(ids))).all()  # type: ignore[union-attr]
    return {v.id: model_tag(v) for v in found if v.id is not None}


def nightly_by_version(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Scored recordings and recordings with calls per night and version, in scope.

    Returns
    -------
    pandas.DataFrame
        ``night``, ``model_version_id``, ``recordings``, ``with_calls``; nights ascending.
    """
    query = scoped(
        select(
            NIGHT,
            DetectionRun.model_version_id,
            sa.func.count(),
            sa.func.sum(_is_positive()),
        )
        .join(Recording, Recording.id == DetectionRun.recording_id)
        .where(DetectionRun.status == RecordingStatus.DONE)
        .group_by(NIGHT, DetectionRun.model_version_id)
        .order_by(NIGHT),
        session,
        scope,
    )
    frame = read_frame(session, query, ["night", "model_version_id", "recordings", "with_calls"])
    frame["night"] = pd.to_datetime(frame["night"])
    return frame


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
    query = scoped(
        select(first_calls, second_calls, sa.func.count())
        .select_from(first)
        .join(second, second.recording_id == first.recording_id)
        .join(Recording, Recording.id == first.recording_id)
        .where(
            first.model_version_id == first_id,
            second.model_version_id == second_id,
            first.status == RecordingStatus.DONE,
            second.status == RecordingStatus.DONE,
        )
        .group_by(first_calls, second_calls),
        session,
        scope,
        timed=False,
    )
    frame = read_frame(session, query, ["first_calls", "second_calls", "recordings"])
    return frame.astype({"first_calls": bool, "second_calls": bool, "recordings": "int64"})
