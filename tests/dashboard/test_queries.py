"""db.dashboard and db.dashboard_events: the dashboard's SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from db import crud, dashboard, dashboard_activity, queue
from db.dashboard_devices import device_nights, device_table, failed_files
from db.dashboard_events import UNREVIEWED, EventFilter, detections_page, last_calls
from db.migrate import upgrade
from db.session import get_engine, session_scope
from tests.db.helpers import FakeEvent, FakeResult, FakeWindow, add_recording
from tests.db.report_seed import FROG, OTHER_SITE, SITE, seed


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> sa.Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ranawatch.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("postgres_url")
    return get_engine(url)


@pytest.fixture
def seeded(engine: sa.Engine) -> tuple[sa.Engine, dict[str, int]]:
    return engine, seed(engine)


def scope_for(session: Session, **kw) -> dashboard.Scope:
    model_id, labels, _ = dashboard.default_model(session=session)
    return dashboard.Scope(model_version_id=model_id, target_labels=labels, **kw)


def test_default_model_is_the_newest_that_ran(seeded) -> None:
    engine, ids = seeded
    with Session(engine) as session:
        assert dashboard.default_model(session=session) == (
            ids["v2"],
            (FROG,),
            "AST_Rana_Draytonii:2.0",
        )
        # A newer version registered but not yet run is not shown (nothing to show).
        crud.get_or_create_model_version(
            session=session, name="AST_Rana_Draytonii", version="3.0",
            checkpoint_sha256="c" * 64, labels=[FROG, "Negative"], settings={},
        )  # fmt: skip
        session.flush()
        assert dashboard.default_model(session=session)[0] == ids["v2"]
        session.rollback()


def test_nights_per_site_are_local_evenings_with_effort_and_call_minutes(seeded) -> None:
    engine, ids = seeded
    with Session(engine) as session:
        scope = dashboard.Scope(model_version_id=ids["v1"], target_labels=(FROG,))
        nights = dashboard_activity.nightly_activity(session=session, scope=scope)
    pond = nights[nights["site"] == SITE].set_index("night")
    # 19:00 local on 1 March is 03:00 UTC on 2 March: the night of 1 March.
    assert list(pond.index) == [date(2024, 3, 1), date(2024, 3, 3), date(2024, 3, 4)]
    first = pond.loc[date(2024, 3, 1)]
    assert (first["recordings"], first["minutes_recorded"]) == (2, 2.0)
    # Events 0-20 s and 40-60 s both lie in the first minute of one 60 s recording.
    assert (first["minutes_with_calls"], first["events"]) == (1.0, 2)
    third = pond.loc[date(2024, 3, 3)]
    assert (third["minutes_recorded"], third["minutes_analysed"]) == (2.0, 1.0)
    assert nights[nights["site"] == OTHER_SITE]["events"].tolist() == [1]


def test_sites_and_nights_narrow_the_scope(seeded) -> None:
    engine, ids = seeded
    with Session(engine) as session:
        scope = dashboard.Scope(
            sites=(SITE,),
            date_from=date(2024, 3, 3),
            date_to=date(2024, 3, 3),
            model_version_id=ids["v1"],
            target_labels=(FROG,),
        )
        nights = dashboard_activity.nightly_activity(session=session, scope=scope)
        numbers = dashboard_activity.totals(session=session, scope=scope)
        assert dashboard.season_nights(session=session) == (date(2024, 3, 1), date(2024, 3, 4))
        assert (
            dashboard.season_nights(session=session, sites=(OTHER_SITE,)) == (date(2024, 3, 1),) * 2
        )
    assert list(nights["night"]) == [date(2024, 3, 3)] and list(nights["site"]) == [SITE]
    assert numbers["sites"] == 1 and nights["events"].sum() == 0


def test_totals_count_what_awaits_review(seeded) -> None:
    engine, ids = seeded
    with Session(engine) as session:
        v1 = dashboard.Scope(model_version_id=ids["v1"], target_labels=(FROG,))
        numbers = dashboard_activity.totals(session=session, scope=v1)
    # Three events of 1.0; two reviewed in the seed; the creek's is not.
    assert (numbers["sites"], numbers["devices"]) == (2, 2)
    # Five readable one-minute recordings (the unreadable file has no duration).
    assert numbers["hours_recorded"] == pytest.approx(5 / 60)
    assert numbers["awaiting_review"] == 1


def test_a_four_second_recording_never_has_more_calls_than_audio(engine: sa.Engine) -> None:
    labels = [FROG, "Negative"]
    with session_scope(engine) as session:
        site = crud.upsert_site(session=session, name="Tiny")
        add_recording(session, "short.WAV", site_id=site.id, utc_offset_min=-480, duration_s=4.0)
        mv = crud.get_or_create_model_version(
            session=session,
            name="m",
            version="1",
            checkpoint_sha256="c" * 64,
            labels=labels,
            settings={"positive_labels": [FROG]},
        )
        queue.enqueue_runs(session=session, model_version_id=mv.id)
    with session_scope(engine, immediate=True) as session:
        (claim,) = queue.claim_runs(
            session=session,
            model_version_id=mv.id,
            worker="t",
            limit=1,
            stale_before=datetime(2000, 1, 1, tzinfo=UTC),
        )
        result = FakeResult(
            windows=[FakeWindow(0.0, 4.0, FROG, True, [0.9, 0.1], [1, -1])],
            events=[FakeEvent(0.0, 10.0, FROG, 0.9, 0.9, 1)],
        )
        queue.save_results(
            session=session, run_id=claim.run_id, worker="t", result=result, labels=labels
        )
    with Session(engine) as session:
        night = dashboard_activity.nightly_activity(session=session, scope=scope_for(session)).iloc[
            0
        ]
    assert night["minutes_recorded"] == pytest.approx(4 / 60)
    assert night["minutes_with_calls"] == pytest.approx(4 / 60)


def test_hourly_activity_uses_local_hours(seeded) -> None:
    engine, ids = seeded
    with Session(engine) as session:
        scope = dashboard.Scope(sites=(SITE,), model_version_id=ids["v1"], target_labels=(FROG,))
        hourly = dashboard_activity.hourly_activity(session=session, scope=scope)
    first = hourly[hourly["night"] == date(2024, 3, 1)].set_index("hour")
    assert list(first.index) == [19, 20] and first.loc[19, "minutes_with_calls"] == 1.0


def test_temperature_counts_per_degree_and_night(seeded) -> None:
    engine, ids = seeded
    with Session(engine) as session:
        scope = dashboard.Scope(model_version_id=ids["v1"], target_labels=(FROG,))
        per_degree, per_night = dashboard_activity.temperature_calling(session=session, scope=scope)
    # Analysed recordings with a temperature only (the failed run and unreadable file drop out):
    # three at 9.3 °C (two with calls), one at -2.5 °C (floor: -3).
    assert per_degree.to_dict("list") == {
        "degree": [-3.0, 9.0],
        "recordings": [1, 3],
        "with_calls": [0, 2],
    }
    nights = per_night.set_index(["site", "night"])
    first = nights.loc[(SITE, date(2024, 3, 1))]
    assert (first["recordings"], first["with_calls"]) == (2, 1)
    assert first["temperature_c"] == pytest.approx((9.3 - 2.5) / 2)


def test_devices_and_last_calls(seeded) -> None:
    engine, ids = seeded
    with Session(engine) as session:
        scope = dashboard.Scope(model_version_id=ids["v1"], target_labels=(FROG,))
        devices = device_table(session=session, scope=scope).set_index("device")
        calls = last_calls(session=session, scope=scope).set_index("site")
        pond_device = int(devices.loc["AudioMoth 249BC30461CBB1E6", "device_id"])
        nights = device_nights(session=session, scope=scope, device_id=pond_device)
        failed = failed_files(session=session, scope=scope, device_id=pond_device)
    assert devices.loc["AudioMoth 249BC30461CBB1E6", "recordings"] == 5
    assert devices.loc["AudioMoth 249BC30461CBB1E6", "failed"] == 1
    assert calls.loc[SITE, "last_call_at"] == pd_ts(2024, 3, 2, 3)
    assert list(nights["night"]) == [date(2024, 3, 1), date(2024, 3, 3), date(2024, 3, 4)]
    assert list(nights["recordings"]) == [2, 2, 1]
    assert list(failed["error"]) == ["not a RIFF/WAVE file"]


def pd_ts(*args: int):
    import pandas as pd

    return pd.Timestamp(datetime(*args, tzinfo=UTC))


def test_detections_are_paged_and_filtered_in_sql(seeded) -> None:
    engine, ids = seeded
    with Session(engine) as session:
        scope = dashboard.Scope(model_version_id=ids["v1"], target_labels=(FROG,))
        everything, total = detections_page(
            session=session, scope=scope, filters=EventFilter(), offset=0, limit=2
        )
        rest, _ = detections_page(
            session=session, scope=scope, filters=EventFilter(), offset=2, limit=2
        )
        open_, n_open = detections_page(
            session=session, scope=scope, filters=EventFilter(review=UNREVIEWED), offset=0, limit=10
        )
        confirmed, _ = detections_page(
            session=session,
            scope=scope,
            filters=EventFilter(review="confirmed"),
            offset=0,
            limit=10,
        )
        strong, _ = detections_page(
            session=session, scope=scope, filters=EventFilter(score_min=0.8), offset=0, limit=10
        )
        pond, n_pond = detections_page(
            session=session,
            scope=dashboard.Scope(sites=(SITE,), model_version_id=ids["v1"], target_labels=(FROG,)),
            filters=EventFilter(device="249BC30461CBB1E6"),
            offset=0,
            limit=10,
        )
    assert (total, len(everything), len(rest)) == (3, 2, 1)
    assert {*everything["id"], *rest["id"]} == {
        ids["first_detection"],
        ids["second_detection"],
        *open_["id"],
    }
    assert n_open == 1 and list(open_["site"]) == [OTHER_SITE]
    # The latest review counts: bo's "unsure" was replaced by ann's "confirmed".
    assert list(confirmed["id"]) == [ids["first_detection"]] and list(confirmed["reviewer"]) == [
        "ann"
    ]
    assert sorted(strong["max_score"]) == [0.9, 0.95]
    assert n_pond == 2 and set(pond["site"]) == {SITE}


def test_a_clock_never_set_does_not_stretch_the_season(seeded) -> None:
    engine, _ids = seeded
    with session_scope(engine) as session:
        add_recording(
            session,
            "19700101_000512.WAV",
            recorded_at=datetime(1970, 1, 1, 0, 5, 12, tzinfo=UTC),
            clock_issue="clock not set",
        )
    with Session(engine) as session:
        assert dashboard.season_nights(session=session) == (date(2024, 3, 1), date(2024, 3, 4))
        nights = dashboard_activity.nightly_activity(session=session, scope=scope_for(session))
    assert nights["night"].min() == date(2024, 3, 1)


def test_sums_over_several_groupings_equal_those_of_the_finest(seeded) -> None:
    # PostgreSQL sums each grouping in the query (GROUPING SETS), SQLite in pandas: both
    # must give what summing the per-site, night and hour rows gives.
    engine, ids = seeded
    sets = [("site_id", "night"), ("night", "hour"), ("site_id",)]
    with Session(engine) as session:
        scope = dashboard.Scope(model_version_id=ids["v1"], target_labels=(FROG,))
        fine = dashboard_activity.activity(session=session, scope=scope)
        several = dashboard_activity.activity_sets(session=session, scope=scope, sets=sets)
    assert fine["events"].sum() == 3 and fine["minutes_with_calls"].sum() == 2.0
    for chosen, frame in zip(sets, several, strict=True):
        expected = dashboard.rollup(fine, list(chosen)).reset_index(drop=True)
        got = frame[expected.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
