"""The dashboard's sums stay exactly what the source rows sum to, after every kind of write.

Each step writes through the functions ingest, detect and the dashboard use (a recording
stored, results saved, a run failed, a first and a second review, a changed file re-read and
scored again, files forgotten), and after each the sums tables must equal a recomputation
from scratch, row for row. On SQLite and PostgreSQL; on PostgreSQL two writers of one night
at once must not lose each other's update.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from db import crud, queue
from db.activity_computation import call_seconds
from db.activity_sums import SUM_TABLES, refresh_sums, source_sums
from db.migrate import alembic_config, upgrade
from db.models import ActivityHour, Detection, Recording, RecordingStatus
from db.recordings import forget_file, store_file, stored_files
from db.reviews import add_review
from db.session import get_engine, session_scope
from tests.db.helpers import LABELS, FakeEvent, FakeResult, FakeWindow, add_model_version

FROG = LABELS[0]
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _columns(table: type) -> list[str]:
    return [c.name for c in table.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]


def _sorted(rows) -> list[tuple]:
    return sorted(rows, key=lambda row: tuple((value is None, str(value)) for value in row))


def _stored(session: Session) -> list[list[tuple]]:
    """The rows of each sums table, without ids, in a stable order."""
    out = []
    for table in SUM_TABLES:
        columns = [table.__table__.c[name] for name in _columns(table)]  # type: ignore[attr-defined]
        out.append(_sorted(tuple(row) for row in session.execute(sa.select(*columns))))
    return out


def assert_exact(engine: sa.Engine) -> None:
    """The sums tables hold exactly what a recomputation from the source rows gives."""
    with Session(engine) as session:
        computed = source_sums(session=session)
        stored = _stored(session)
    for table, rows, have in zip(SUM_TABLES, computed, stored, strict=True):
        want = _sorted(tuple(row[name] for name in _columns(table)) for row in rows)
        assert have == want, table.__tablename__  # type: ignore[attr-defined]


def _recording(name: str, utc: datetime, *, site_id: int | None, device_id: int | None, **kw):
    values = {
        "path": f"/cards/{name}",
        "size_bytes": 1000,
        "sha256": f"{name:0>64}"[-64:],
        "site_id": site_id,
        "device_id": device_id,
        "recorded_at": utc,
        "utc_offset_min": -480,
        "duration_s": 90.0,
        "temperature_c": 11.5,
        "latitude": 37.1,
        "longitude": -122.3,
        "readable": True,
    } | kw
    return Recording(**values)


def _score(engine: sa.Engine, mv: int, results: dict[int, FakeResult | str]) -> None:
    with session_scope(engine) as session:
        queue.enqueue_runs(session=session, model_version_id=mv)
    with session_scope(engine, immediate=True) as session:
        claims = queue.claim_runs(
            session=session, model_version_id=mv, worker="w", limit=100, stale_before=LONG_AGO
        )
    for claim in claims:
        with session_scope(engine) as session:
            outcome = results.get(claim.recording_id)
            if isinstance(outcome, str):
                queue.mark_run_failed(
                    session=session, run_id=claim.run_id, worker="w", error=outcome
                )
            elif outcome is None:
                queue.release_claims(session=session, claims=[(claim.run_id, "w")])
            else:
                assert queue.save_results(
                    session=session, run_id=claim.run_id, worker="w", result=outcome, labels=LABELS
                )


def _events(*spans: tuple[float, float]) -> FakeResult:
    windows = [
        FakeWindow(10.0 * i, 10.0 * (i + 1), "Negative", False, [0.1, 0.9], [0, 0])
        for i in range(9)
    ]
    return FakeResult(windows, [FakeEvent(s, e, FROG, 0.9, 0.8, 1) for s, e in spans])


def test_sums_equal_a_recomputation_after_every_kind_of_write(engine: sa.Engine) -> None:
    night_1 = datetime(2024, 3, 2, 3, 0, tzinfo=UTC)  # 19:00 local on 1 March
    with session_scope(engine) as session:
        pond = crud.upsert_site(session=session, name="Laguna Pond").id
        creek = crud.upsert_site(session=session, name="Upper Creek").id
        moth = crud.get_or_create_device(session=session, serial="249BC30461CBB1E6").id
        other = crud.get_or_create_device(session=session, serial="24E144085F256A6D").id
        mv = add_model_version(session).id
    # Ingest: new files at two sites, one without a site, one without a device, one
    # unreadable, one whose clock was never set (on no night), and one through crud.
    rows = {
        "a": _recording("a.wav", night_1, site_id=pond, device_id=moth),
        "b": _recording("b.wav", night_1 + timedelta(minutes=30), site_id=pond, device_id=moth,
                        temperature_c=-2.5, latitude=None),
        "c": _recording("c.wav", night_1 + timedelta(hours=5), site_id=pond, device_id=other),
        "d": _recording("d.wav", night_1, site_id=creek, device_id=other, duration_s=4.0),
        "e": _recording("e.wav", night_1 + timedelta(days=1), site_id=None, device_id=moth),
        "f": _recording("f.wav", night_1 + timedelta(days=1), site_id=creek, device_id=None,
                        temperature_c=None),
        "bad": _recording("bad.wav", night_1 + timedelta(hours=1), site_id=pond, device_id=moth,
                          readable=False, duration_s=None, status=RecordingStatus.FAILED),
        "clock": _recording("clock.wav", datetime(1970, 1, 1, tzinfo=UTC), site_id=pond,
                            device_id=moth, clock_issue="clock never set"),
    }  # fmt: skip
    ids = {}
    with session_scope(engine) as session:
        for key, row in rows.items():
            ids[key] = store_file(session=session, recording=row).id
    with session_scope(engine) as session:
        ids["g"] = crud.add_recording(
            session=session,
            recording=_recording(
                "g.wav", night_1 + timedelta(hours=2), site_id=pond, device_id=moth
            ),
        ).id
    assert_exact(engine)
    with Session(engine) as session:
        hours = session.exec(
            select(ActivityHour).where(ActivityHour.model_version_id.is_(None))
        ).all()  # type: ignore[union-attr]
        assert sum(h.recordings for h in hours) == 8  # all but the one on no night
    # Detect: events (two in one minute, one over a minute boundary), a failed run, a
    # recording left unscored.
    _score(
        engine,
        mv,
        {
            ids["a"]: _events((0, 20), (40, 50), (50, 70)),
            ids["b"]: _events(),
            ids["c"]: "header promises more audio than the file holds",
            ids["d"]: _events((0, 10)),
            ids["e"]: _events((60, 80)),
            ids["f"]: _events((0, 10)),
            ids["clock"]: _events((0, 10)),
        },
    )
    assert_exact(engine)
    # Review: a first review (the event stops awaiting review), then a second one.
    with session_scope(engine) as session:
        first = session.exec(
            select(Detection.id)
            .where(Detection.recording_id == ids["a"])
            .order_by(Detection.start_s)
        ).first()
        assert first is not None
        add_review(session=session, detection_id=first, verdict="confirmed", reviewer="ann")
    assert_exact(engine)
    with session_scope(engine) as session:
        add_review(session=session, detection_id=first, verdict="rejected", reviewer="bo")
    assert_exact(engine)
    # A changed file is read again: new content moves it to another site and night, its
    # old results are dropped, and it is scored again.
    with session_scope(engine) as session:
        previous = stored_files(session=session)["/cards/a.wav"]
        changed = _recording("a.wav", night_1 + timedelta(days=1), site_id=creek, device_id=moth,
                             sha256="f" * 64, temperature_c=14.0)  # fmt: skip
        assert store_file(session=session, recording=changed, previous=previous).id == ids["a"]
    assert_exact(engine)
    _score(engine, mv, {ids["a"]: _events((0, 90))})
    assert_exact(engine)
    # Forgotten: a recording whose path now holds another's content, and the unreadable row
    # replaced by a readable file.
    with session_scope(engine) as session:
        stored = stored_files(session=session)
        forget_file(session=session, path="/cards/e.wav", previous=stored["/cards/e.wav"])
        store_file(
            session=session,
            recording=_recording("bad.wav", night_1 + timedelta(hours=1), site_id=pond,
                                 device_id=moth, sha256="e" * 64),
            previous=stored["/cards/bad.wav"],
        )  # fmt: skip
    assert_exact(engine)
    with Session(engine) as session:
        units = {(h.site_id, h.night) for h in session.exec(select(ActivityHour)).all()}
    assert units == {(pond, date(2024, 3, 1)), (creek, date(2024, 3, 1)), (creek, date(2024, 3, 2))}


def test_a_full_refresh_repairs_sums_written_around(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        pond = crud.upsert_site(session=session, name="Laguna Pond").id
        crud.add_recording(
            session=session,
            recording=_recording(
                "a.wav", datetime(2024, 3, 2, 3, tzinfo=UTC), site_id=pond, device_id=None
            ),
        )
        session.execute(sa.update(ActivityHour).values(recordings=99))
    with session_scope(engine) as session:
        refresh_sums(session=session)
    assert_exact(engine)
    with Session(engine) as session:
        assert session.exec(select(ActivityHour.recordings)).all() == [1]


def test_minutes_with_calls_count_each_minute_once_with_the_audio_it_holds() -> None:
    # Two events in minute 0, one over the boundary into minute 1: two minutes of 90 s audio.
    assert call_seconds(90.0, [(0, 20), (40, 50), (50, 70)]) == 60.0 + 30.0
    assert call_seconds(4.0, [(0, 10)]) == 4.0  # never more calls than audio
    assert call_seconds(600.0, [(60, 120)]) == 60.0  # ends on a boundary: one minute
    assert call_seconds(None, [(0, 10)]) == 60.0
    assert call_seconds(90.0, []) == 0.0


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_migration_fills_the_sums_from_stored_rows(kind, tmp_path, request) -> None:
    url = (
        f"sqlite:///{tmp_path / 'up.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("make_postgres_database")()
    )
    upgrade(url)
    engine = get_engine(url)
    with session_scope(engine) as session:
        pond = crud.upsert_site(session=session, name="Laguna Pond").id
        moth = crud.get_or_create_device(session=session, serial="249BC30461CBB1E6").id
        mv = add_model_version(session).id
        for i in range(6):
            at = datetime(2024, 3, 2, 3, tzinfo=UTC) + timedelta(hours=6 * i)
            crud.add_recording(
                session=session,
                recording=_recording(f"{i}.wav", at, site_id=pond, device_id=moth,
                                     temperature_c=8.0 + i / 3),
            )  # fmt: skip
    _score(engine, mv, {rid: _events((0, 10 * rid)) for rid in range(1, 6)})
    with session_scope(engine) as session:
        detection = session.exec(select(Detection.id)).first()
        add_review(session=session, detection_id=detection, verdict="unsure", reviewer="ann")
    with Session(engine) as session:
        kept = _stored(session)
    assert all(kept)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert not set(sa.inspect(engine).get_table_names()) & {"activity_hours", "device_nights"}
    upgrade(url)
    with Session(engine) as session:
        assert _stored(session) == kept
    assert_exact(engine)


@pytest.mark.postgres
def test_two_writers_of_one_night_at_once_lose_nothing(postgres_url: str) -> None:
    engine = get_engine(postgres_url)
    at = datetime(2024, 3, 2, 3, tzinfo=UTC)
    with session_scope(engine) as session:
        pond = crud.upsert_site(session=session, name="Laguna Pond").id
        mv = add_model_version(session).id
        for name in ("a.wav", "b.wav"):
            crud.add_recording(
                session=session, recording=_recording(name, at, site_id=pond, device_id=None)
            )
        queue.enqueue_runs(session=session, model_version_id=mv)
    with session_scope(engine) as session:
        claims = queue.claim_runs(
            session=session, model_version_id=mv, worker="w", limit=2, stale_before=LONG_AGO
        )
    first, second = claims
    errors: list[BaseException] = []

    def save_second() -> None:
        try:
            with session_scope(engine) as session:
                queue.save_results(
                    session=session, run_id=second.run_id, worker="w",
                    result=_events((0, 10)), labels=LABELS,
                )  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    with session_scope(engine) as session:
        queue.save_results(
            session=session, run_id=first.run_id, worker="w", result=_events((0, 10)), labels=LABELS
        )
        # The first writer holds its night until it commits: the second must wait for it.
        writer = threading.Thread(target=save_second)
        writer.start()
        _wait_for_a_waiting_lock(engine)
        assert writer.is_alive()
    writer.join(timeout=30)
    assert not errors
    assert_exact(engine)
    with Session(engine) as session:
        row = session.exec(select(ActivityHour).where(ActivityHour.model_version_id == mv)).one()
    assert (row.recordings, row.events, row.awaiting_review) == (2, 2, 2)


def _wait_for_a_waiting_lock(engine: sa.Engine) -> None:
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar_one()
            connection.rollback()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the second writer never waited for the first")
