"""Sites, devices, deployments, recordings, model versions and the run log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from db import crud
from db.models import FlowStatus, RecordingStatus
from db.session import session_scope
from tests.db.helpers import add_model_version, add_recording


def _at(day: int) -> datetime:
    return datetime(2024, 3, day, 4, 0, tzinfo=UTC)


def test_device_deployments_follow_the_device_between_sites(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        pond = crud.upsert_site(session=session, name="Laguna Pond")
        creek = crud.upsert_site(session=session, name="Upper Creek")
        device = crud.get_or_create_device(session=session, serial="249BC30461CBB1E6")
        crud.upsert_deployment(
            session=session, device_id=device.id, site_id=pond.id, start_at=_at(1), end_at=_at(10)
        )
        crud.upsert_deployment(
            session=session, device_id=device.id, site_id=creek.id, start_at=_at(10)
        )

    def site_on(day: int) -> str | None:
        with session_scope(engine) as session:
            site = crud.site_of_device_at(session=session, device_id=device.id, at=_at(day))
            return site.name if site else None

    assert [site_on(d) for d in (1, 5, 10, 20)] == [
        "Laguna Pond",
        "Laguna Pond",
        "Upper Creek",
        "Upper Creek",
    ]
    with session_scope(engine) as session:
        assert (
            crud.site_of_device_at(
                session=session, device_id=device.id, at=datetime(2024, 2, 1, tzinfo=UTC)
            )
            is None
        )


def test_upserts_are_idempotent(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        a = crud.upsert_site(session=session, name="Laguna Pond")
        b = crud.upsert_site(session=session, name="Laguna Pond", latitude=37.0, longitude=-122.0)
        d1 = crud.get_or_create_device(session=session, serial="X1", recorder="AudioMoth")
        d2 = crud.get_or_create_device(session=session, serial="X1", label="north")
    assert a.id == b.id and (b.latitude, b.longitude) == (37.0, -122.0)
    assert d1.id == d2.id and (d2.recorder, d2.label) == ("AudioMoth", "north")


def test_nearest_site_within_the_radius(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        crud.upsert_site(session=session, name="A", latitude=37.0000, longitude=-122.0000)
        crud.upsert_site(session=session, name="B", latitude=37.0100, longitude=-122.0000)
        crud.upsert_site(session=session, name="no coordinates")
        near_a = crud.nearest_site(
            session=session, latitude=37.0010, longitude=-122.0, max_distance_m=250
        )
        nowhere = crud.nearest_site(
            session=session, latitude=37.0050, longitude=-122.0, max_distance_m=250
        )
    assert near_a is not None and near_a.name == "A"
    assert nowhere is None


def test_haversine_matches_a_known_distance() -> None:
    # One degree of latitude is about 111.2 km.
    assert crud.haversine_m(37.0, -122.0, 38.0, -122.0) == pytest.approx(111_195, rel=1e-3)


def test_model_versions_are_registered_once(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        first = add_model_version(session)
        again = add_model_version(session)
        other_checkpoint = add_model_version(session, sha="c" * 64)
        found = crud.find_model_versions(session=session, name="AST_Rana_Draytonii", version="1.0")
    assert first.id == again.id != other_checkpoint.id
    assert [m.id for m in found] == [other_checkpoint.id, first.id]
    assert first.labels == ["Rana draytonii", "Negative"]


def test_list_recordings_filters_by_status_and_site(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        pond = crud.upsert_site(session=session, name="Laguna Pond")
        add_recording(session, "a.wav", site_id=pond.id)
        add_recording(session, "b.wav", readable=False, status=RecordingStatus.FAILED, error="x")
        failed = crud.list_recordings(session=session, status=RecordingStatus.FAILED)
        at_pond = crud.list_recordings(session=session, site="Laguna Pond")
    assert [row[0].path for row in failed] == ["/audio/b.wav"]
    assert [(row[0].path, row[1]) for row in at_pond] == [("/audio/a.wav", "Laguna Pond")]


def test_run_log_records_start_and_end(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        entry = crud.start_run_log(session=session, flow="ingest-recordings", flow_run_id="abc")
    with session_scope(engine) as session:
        done = crud.finish_run_log(
            session=session,
            run_log_id=entry.id,
            status=FlowStatus.COMPLETED,
            counts={"new": 3, "failed": 1},
            message="3 new, 1 failed",
        )
    assert done.status is FlowStatus.COMPLETED
    assert done.counts == {"new": 3, "failed": 1}
    assert done.finished_at is not None and done.finished_at >= done.started_at
