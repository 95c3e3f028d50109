"""Training data from the stored reviews: the reviews people make teach the next model.

The latest review of each detection counts (:func:`db.reviews.latest_reviews`, the one
definition): ``confirmed`` detections are positives of their label, ``rejected`` ones hard
negatives; ``unsure`` ones are left out. Random windows from recordings the model called
Negative (a finished run, no detection) are added at ``negative_ratio`` per positive.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from core.training.examples import Example, NegativeRecording, draw_negative_windows
from db.models import Detection, DetectionRun, Recording, RecordingStatus, Site, Verdict
from db.reviews import latest_reviews


def reviewed_examples(
    *, session: Session, model_version_id: int | None = None, negative_label: str = "Negative"
) -> list[Example]:
    """One example per detection whose latest review is confirmed or rejected.

    Parameters
    ----------
    model_version_id
        Only detections of this model version; ``None``: every version.
    negative_label
        The label rejected detections get.
    """
    latest = latest_reviews()
    query = (
        select(Detection, Recording, Site.name, latest.c.verdict)
        .join(latest, latest.c.detection_id == Detection.id)
        .join(Recording, Recording.id == Detection.recording_id)
        .outerjoin(Site, Site.id == Recording.site_id)
        .where(latest.c.verdict.in_([Verdict.CONFIRMED.value, Verdict.REJECTED.value]))
        .order_by(Detection.id)
    )
    if model_version_id is not None:
        query = query.where(Detection.model_version_id == model_version_id)
    examples = []
    for detection, recording, site, verdict in session.exec(query).all():
        confirmed = Verdict(verdict) is Verdict.CONFIRMED
        examples.append(
            Example(
                path=Path(recording.path),
                label=detection.label if confirmed else negative_label,
                start_s=detection.start_s,
                end_s=detection.end_s,
                recording=recording.sha256,
                site=site,
                recorded_at=recording.recorded_at,
                utc_offset_min=recording.utc_offset_min,
                source="confirmed" if confirmed else "rejected",
            )
        )
    return examples


def negative_recordings(
    *, session: Session, model_version_id: int | None = None
) -> list[NegativeRecording]:
    """Readable recordings whose finished detection run said Negative and left no detection."""
    has_detection = sa.exists().where(Detection.recording_id == Recording.id)
    said_negative = sa.exists().where(
        DetectionRun.recording_id == Recording.id,
        DetectionRun.status == RecordingStatus.DONE,
        DetectionRun.prediction == "Negative",
    )
    if model_version_id is not None:
        said_negative = said_negative.where(DetectionRun.model_version_id == model_version_id)
    query = (
        select(Recording, Site.name)
        .outerjoin(Site, Site.id == Recording.site_id)
        .where(said_negative, Recording.readable.is_(True), ~has_detection)
        .order_by(Recording.id)
    )
    return [
        NegativeRecording(
            path=Path(rec.path),
            duration_s=rec.duration_s or 0.0,
            recording=rec.sha256,
            site=site,
            recorded_at=rec.recorded_at,
            utc_offset_min=rec.utc_offset_min,
        )
        for rec, site in session.exec(query).all()
    ]


def review_examples(
    *,
    session: Session,
    model_version_id: int | None = None,
    negative_label: str = "Negative",
    negative_ratio: float = 1.0,
    clip_s: float = 10.0,
    seed: int = 0,
) -> list[Example]:
    """Reviewed detections plus ``negative_ratio`` random negative windows per confirmed one."""
    reviewed = reviewed_examples(
        session=session, model_version_id=model_version_id, negative_label=negative_label
    )
    positives = sum(e.source == "confirmed" for e in reviewed)
    negatives = draw_negative_windows(
        negative_recordings(session=session, model_version_id=model_version_id),
        round(negative_ratio * positives),
        clip_s=clip_s,
        label=negative_label,
        seed=seed,
    )
    return reviewed + negatives
