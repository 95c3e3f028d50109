"""A small monitoring season in a database, written the way the flows write it.

Site ``Laguna Pond`` (one AudioMoth at UTC-8), model ``AST_Rana_Draytonii`` 1.0 and 2.0:

=========================  ==================  ===========================================
file                       local start         with model 1.0
=========================  ==================  ===========================================
20240301_190000.WAV        19:00 1 Mar         calls 0-20 s and 40-60 s (reviewed)
=HYPERLINK("x").wav        20:50 1 Mar         no calls
20240303_190000.WAV        19:00 3 Mar         no calls
20240303_210000.WAV        21:00 3 Mar         run failed (error kept)
20240304_190000.WAV        19:00 4 Mar         unreadable: never queued
=========================  ==================  ===========================================

Night 2 March has no audio. ``Upper Creek`` has one recording, which must never show up in
a Laguna Pond report. Model 2.0 ran on the first recording only, finding one call at 10-20 s.
Runs go through :mod:`db.queue` (enqueue, claim, save or fail) so the rows are the real ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import select

from db import crud, queue
from db.models import Detection, Recording, RecordingStatus, Verdict
from db.reviews import add_review
from db.session import session_scope
from tests.db.helpers import FakeEvent, FakeWindow

SITE, OTHER_SITE = "Laguna Pond", "Upper Creek"
SERIAL = "249BC30461CBB1E6"
LABELS = ["Rana draytonii", "Negative"]
FROG = "Rana draytonii"
SETTINGS = {
    "positive_labels": [FROG],
    "negative_label": "Negative",
    "decision": {"rule": "argmax", "default_threshold": 0.5},
    "frontend": {"samplerate_hz": 16000, "window_s": 10.0},
}
Window, Event = FakeWindow, FakeEvent  # what db.queue.save_results reads
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class Result:
    windows: list[Window]
    events: list[Event] = field(default_factory=list)
    prediction: str = "Negative"
    times_heard: str = "N/A"


def _windows(frog_scores: list[float]) -> list[Window]:
    return [
        Window(
            10.0 * i, 10.0 * (i + 1), FROG if s > 0.5 else "Negative", s > 0.5, [s, 1 - s], [0, 0]
        )
        for i, s in enumerate(frog_scores)
    ]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC time in March 2024."""
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def _recording(session, name: str, utc: datetime, site_id: int, device_id: int, **kw) -> int:
    values = {
        "path": f"/cards/{name}",
        "size_bytes": 5_760_044,
        "sha256": hashlib.sha256(name.encode()).hexdigest(),
        "device_id": device_id,
        "site_id": site_id,
        "recorded_at": utc,
        "utc_offset_min": -480,
        "duration_s": 60.0,
        "temperature_c": 9.3,
        "readable": True,
    } | kw
    return crud.add_recording(session=session, recording=Recording(**values)).id


def _process(engine: sa.Engine, mv: int, results: dict[int, Result | str]) -> None:
    """Run the queue for ``mv``: each claimed recording gets its result or fails (a str)."""
    with session_scope(engine) as session:
        queue.enqueue_runs(session=session, model_version_id=mv)
    with session_scope(engine, immediate=True) as session:
        claims = queue.claim_runs(
            session=session, model_version_id=mv, worker="t", limit=100, stale_before=LONG_AGO
        )
    with session_scope(engine) as session:
        for claim in claims:
            outcome = results.get(claim.recording_id)
            if isinstance(outcome, str):
                queue.mark_run_failed(
                    session=session, run_id=claim.run_id, worker="t", error=outcome
                )
            elif outcome is not None:
                queue.save_results(
                    session=session, run_id=claim.run_id, worker="t", result=outcome, labels=LABELS
                )
            else:
                queue.release_claims(session=session, claims=[(claim.run_id, "t")])


def seed(engine: sa.Engine) -> dict[str, int]:
    """Write the season; return the ids tests refer to."""
    with session_scope(engine) as session:
        pond = crud.upsert_site(session=session, name=SITE, latitude=37.1, longitude=-122.3)
        creek = crud.upsert_site(session=session, name=OTHER_SITE)
        device = crud.get_or_create_device(session=session, serial=SERIAL, recorder="AudioMoth")
        other = crud.get_or_create_device(session=session, serial="24E144085F256A6D")
        crud.upsert_deployment(
            session=session, device_id=device.id, site_id=pond.id,
            start_at=datetime(2024, 2, 1, tzinfo=UTC),
        )  # fmt: skip
        ids = {
            "calls": _recording(session, "20240301_190000.WAV", at(2, 3), pond.id, device.id),
            "quiet": _recording(
                session, '=HYPERLINK("x").wav', at(2, 4, 50), pond.id, device.id, temperature_c=-2.5
            ),
            "night3": _recording(session, "20240303_190000.WAV", at(4, 3), pond.id, device.id),
            "failed": _recording(session, "20240303_210000.WAV", at(4, 5), pond.id, device.id),
            "unreadable": _recording(
                session, "20240304_190000.WAV", at(5, 3), pond.id, device.id,
                readable=False, duration_s=None, temperature_c=None,
                status=RecordingStatus.FAILED, error="not a RIFF/WAVE file",
            ),
            "creek": _recording(session, "20240301_200000.WAV", at(2, 4), creek.id, other.id),
        }  # fmt: skip
        v1 = crud.get_or_create_model_version(
            session=session, name="AST_Rana_Draytonii", version="1.0",
            checkpoint_sha256="a" * 64, labels=LABELS, settings=SETTINGS,
        ).id  # fmt: skip
    calls = Result(
        _windows([0.9, 0.8, 0.1, 0.2, 0.7, 0.75]),
        [Event(0, 20, FROG, 0.9, 0.85, 2), Event(40, 60, FROG, 0.75, 0.725, 2)],
        "Positive",
        "0-20, 40-60",
    )
    quiet = Result(_windows([0.1] * 6))
    _process(
        engine, v1,
        {ids["calls"]: calls, ids["quiet"]: quiet, ids["night3"]: Result(_windows([0.3] * 6)),
         ids["failed"]: "header promises more audio than the file holds",
         ids["creek"]: Result(_windows([0.95] * 6), [Event(0, 60, FROG, 0.95, 0.95, 6)])},
    )  # fmt: skip
    with session_scope(engine) as session:
        first, second = session.exec(
            select(Detection.id)
            .where(Detection.recording_id == ids["calls"], Detection.model_version_id == v1)
            .order_by(Detection.start_s)
        ).all()
        for detection_id, verdict, reviewer, reviewed_at, note in (
            (first, Verdict.UNSURE, "bo", datetime(2024, 4, 1, 9, tzinfo=UTC), None),
            (first, Verdict.CONFIRMED, "ann", datetime(2024, 4, 2, 17, tzinfo=UTC), "+cmd"),
            (second, Verdict.REJECTED, "ann", datetime(2024, 4, 2, 17, 5, tzinfo=UTC), "wind"),
        ):
            add_review(
                session=session, detection_id=detection_id, verdict=verdict,
                reviewer=reviewer, reviewed_at=reviewed_at, note=note,
            )  # fmt: skip
        v2 = crud.get_or_create_model_version(
            session=session, name="AST_Rana_Draytonii", version="2.0",
            checkpoint_sha256="b" * 64, labels=LABELS, settings=SETTINGS,
        ).id  # fmt: skip
    v2_result = Result(_windows([0.2, 0.9, 0.1, 0.1, 0.1, 0.1]), [Event(10, 20, FROG, 0.9, 0.9, 1)])
    _process(engine, v2, {ids["calls"]: v2_result})
    return ids | {"v1": v1, "v2": v2, "first_detection": first, "second_detection": second}
