"""dashboard.data: the overview's queries on the report seed, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.errors import ConfigError
from core.report.nights import CALLS, NO_AUDIO, NO_CALLS, NOT_ANALYSED
from dashboard.data import LATEST_COLUMNS, load_overview, site_names
from db import crud, queue
from db.migrate import upgrade
from db.session import get_engine, session_scope
from tests.db.helpers import FakeEvent, FakeResult, FakeWindow, add_recording
from tests.db.report_seed import OTHER_SITE, SITE, seed

V1 = "AST_Rana_Draytonii:1.0"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> sa.Engine:
    """A migrated, empty database on each back end."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ranawatch.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("postgres_url")
    return get_engine(url)


@pytest.fixture
def seeded(engine: sa.Engine) -> sa.Engine:
    seed(engine)
    return engine


def test_site_names_are_alphabetical(seeded: sa.Engine) -> None:
    assert site_names(seeded) == [SITE, OTHER_SITE]


def test_nights_tell_no_audio_from_no_calls(seeded: sa.Engine) -> None:
    nights = load_overview(seeded, SITE, model=V1).nights.set_index("Night")
    assert nights["Effort"].to_dict() == {
        date(2024, 3, 1): CALLS,
        date(2024, 3, 2): NO_AUDIO,
        date(2024, 3, 3): NO_CALLS,
        date(2024, 3, 4): NOT_ANALYSED,
    }
    first = nights.loc[date(2024, 3, 1)]
    # Two 60 s recordings; both events fall in the 19:00 local minute; one is confirmed.
    assert (first["Minutes Recorded"], first["Minutes with Calls"]) == (2.0, 1)
    assert (first["Events"], first["Confirmed Events"]) == (2, 1)
    # The night of no calls had audio (one run failed, so only half was analysed).
    third = nights.loc[date(2024, 3, 3)]
    assert (third["Minutes Recorded"], third["Minutes Analysed"]) == (2.0, 1.0)
    assert nights.loc[date(2024, 3, 2), "Minutes Recorded"] == 0


def test_latest_recordings_newest_first_with_prediction_and_status(seeded: sa.Engine) -> None:
    overview = load_overview(seeded, SITE, model=V1)
    latest = overview.latest
    assert tuple(latest.columns) == LATEST_COLUMNS
    assert overview.recordings == 5
    assert list(latest["File Name"]) == [
        "20240304_190000",
        "20240303_210000",
        "20240303_190000",
        '=HYPERLINK("x")',
        "20240301_190000",
    ]
    rows = latest.set_index("File Name")
    calls = rows.loc["20240301_190000"]
    assert (calls["Prediction"], calls["Times Heard"]) == ("Positive", "0-20, 40-60")
    assert calls["Events"] == 2
    assert calls["Review Result"] == "confirmed"
    assert rows.loc["20240303_190000", "Prediction"] == "Negative"
    failed = rows.loc["20240303_210000"]
    assert (failed["Prediction"], failed["Status"]) == ("Not analysed", "failed")
    assert "more audio than the file holds" in failed["Error"]
    assert len(load_overview(seeded, SITE, model=V1, latest=2).latest) == 2


def test_default_model_is_the_newest_that_ran_at_the_site(seeded: sa.Engine) -> None:
    overview = load_overview(seeded, SITE)
    assert overview.model_tag == "AST_Rana_Draytonii:2.0"
    row = overview.latest.set_index("File Name").loc["20240301_190000"]
    assert row["Times Heard"] == "10-20"


def test_sites_do_not_mix(seeded: sa.Engine) -> None:
    overview = load_overview(seeded, OTHER_SITE, model=V1)
    assert list(overview.latest["File Name"]) == ["20240301_200000"]
    assert overview.nights["Effort"].tolist() == [CALLS]


def test_unknown_site_names_the_known_ones(seeded: sa.Engine) -> None:
    with pytest.raises(ConfigError, match="Upper Creek"):
        load_overview(seeded, "Nowhere")


def test_effort_shows_before_any_detection_run(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        site = crud.upsert_site(session=session, name="New Pond")
        add_recording(
            session, "20240301_190000.WAV", site_id=site.id, utc_offset_min=-480,
            recorded_at=datetime(2024, 3, 2, 3, tzinfo=UTC), duration_s=120.0,
        )  # fmt: skip
    overview = load_overview(engine, "New Pond")
    assert overview.model_tag is None
    night = overview.nights.iloc[0]
    assert (night["Night"], night["Effort"], night["Minutes Recorded"]) == (
        date(2024, 3, 1),
        NOT_ANALYSED,
        2.0,
    )
    assert overview.latest.loc[0, "Prediction"] == "Not analysed"


def test_only_the_model_cards_target_labels_count_as_calls(engine: sa.Engine) -> None:
    # A bullfrog event from a model whose card names only the red-legged frog as target.
    labels = ["Rana draytonii", "Rana catesbeiana", "Negative"]
    with session_scope(engine) as session:
        site = crud.upsert_site(session=session, name="Bullfrog Pond")
        add_recording(session, "a.WAV", site_id=site.id, utc_offset_min=-480)
        mv = crud.get_or_create_model_version(
            session=session, name="AST_Rana_Three_Class", version="1.0",
            checkpoint_sha256="c" * 64, labels=labels,
            settings={"positive_labels": ["Rana draytonii"], "negative_label": "Negative"},
        )  # fmt: skip
        queue.enqueue_runs(session=session, model_version_id=mv.id)
    with session_scope(engine, immediate=True) as session:
        (claim,) = queue.claim_runs(
            session=session, model_version_id=mv.id, worker="t", limit=1,
            stale_before=datetime(2000, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        bullfrog = FakeResult(
            windows=[FakeWindow(0.0, 10.0, "Rana catesbeiana", True, [0.1, 0.8, 0.1], [0, 2, 0])],
            events=[FakeEvent(0.0, 10.0, "Rana catesbeiana", 0.8, 0.8, 1)],
        )
        queue.save_results(
            session=session, run_id=claim.run_id, worker="t", result=bullfrog, labels=labels
        )
    overview = load_overview(engine, "Bullfrog Pond")
    assert overview.nights["Effort"].tolist() == [NO_CALLS]
    assert overview.latest.loc[0, "Prediction"] == "Negative"
