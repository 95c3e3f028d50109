"""Reviews: people's verdicts on detections, and the one definition of "the latest review".

A detection may be reviewed many times (a second opinion, a correction); the latest review
counts. Every reader (reports, the dashboard, training-set selection) joins
:func:`latest_reviews` instead of deciding that again.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from db.activity_sums import refresh_recordings
from db.models import Detection, Review, Verdict, utcnow


def latest_reviews() -> sa.Subquery:
    """A subquery of each reviewed detection's latest review.

    Columns: ``detection_id``, ``verdict``, ``reviewer``, ``reviewed_at``, ``note``. Ties on
    ``reviewed_at`` go to the later row (higher id). Outer-join it on ``detection_id``.
    """
    ranked = select(
        Review.detection_id,
        Review.verdict,
        Review.reviewer,
        Review.reviewed_at,
        Review.note,
        sa.func.row_number()
        .over(
            partition_by=Review.detection_id,
            order_by=(Review.reviewed_at.desc(), Review.id.desc()),  # type: ignore[union-attr]
        )
        .label("rank"),
    ).subquery()
    return (
        select(
            ranked.c.detection_id,
            ranked.c.verdict,
            ranked.c.reviewer,
            ranked.c.reviewed_at,
            ranked.c.note,
        )
        .where(ranked.c.rank == 1)
        .subquery("latest_review")
    )


def add_review(
    *,
    session: Session,
    detection_id: int,
    verdict: Verdict | str,
    reviewer: str,
    note: str | None = None,
    reviewed_at: datetime | None = None,
) -> Review:
    """Record a verdict on a detection (earlier reviews are kept as history).

    A detection's first review takes it out of the events awaiting review: the sums of its
    recording's night are recomputed (:mod:`db.activity_sums`) in the same transaction.

    Raises
    ------
    LookupError
        When no detection has that id.
    ValueError
        When the verdict is not one of :class:`db.models.Verdict` or the reviewer is empty.
    """
    detection = session.get(Detection, detection_id)
    if detection is None:
        raise LookupError(f"no detection with id {detection_id}")
    reviewer = reviewer.strip()
    if not reviewer:
        raise ValueError("a review needs the reviewer's name")
    first = (
        session.exec(select(Review.id).where(Review.detection_id == detection_id)).first() is None
    )
    review = Review(
        detection_id=detection_id,
        verdict=Verdict(verdict),
        reviewer=reviewer,
        note=note or None,
        reviewed_at=reviewed_at or utcnow(),
    )
    session.add(review)
    session.flush()
    if first:
        refresh_recordings(session=session, recording_ids=[detection.recording_id])
    return review


def review_history(*, session: Session, detection_id: int) -> list[Review]:
    """Every review of a detection, newest first."""
    query = (
        select(Review)
        .where(Review.detection_id == detection_id)
        .order_by(Review.reviewed_at.desc(), Review.id.desc())  # type: ignore[union-attr]
    )
    return list(session.exec(query).all())
