"""The Models page's queries on SQLite and PostgreSQL: versions side by side on the seed
(model 1.0 on the whole season, 2.0 on the first recording only), in scope, against reviews."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from db import crud
from db.dashboard import Scope
from db.dashboard_models import agreement, model_versions, nightly_by_version, version_names
from db.session import session_scope
from tests.db import report_seed as seed


@pytest.fixture
def ids(engine: sa.Engine) -> dict[str, int]:
    return seed.seed(engine)


def versions_in(engine: sa.Engine, scope: Scope) -> dict[str, dict]:
    with Session(engine) as session:
        frame = model_versions(session=session, scope=scope)
    return {row["model"]: row for row in frame.to_dict("records")}


def test_each_version_with_its_runs_events_and_the_reviews(engine, ids) -> None:
    rows = versions_in(engine, Scope())
    assert list(rows) == ["AST_Rana_Draytonii:2.0", "AST_Rana_Draytonii:1.0"]  # newest first
    old, new = rows["AST_Rana_Draytonii:1.0"], rows["AST_Rana_Draytonii:2.0"]
    # 1.0: four one-minute recordings finished (calls in the first and in Upper Creek's),
    # one failed.
    assert (old["recordings_scored"], old["recordings_failed"]) == (4, 1)
    assert (old["minutes_analysed"], old["minutes_with_calls"], old["events"]) == (4.0, 2.0, 3)
    assert (new["recordings_scored"], new["recordings_failed"]) == (1, 0)
    assert (new["minutes_analysed"], new["minutes_with_calls"], new["events"]) == (1.0, 1.0, 1)
    # The first recording's calls: 0-20 s confirmed, 40-60 s rejected (the latest reviews).
    # 1.0 found both (it made them); 2.0's one event (10-20 s) finds the confirmed call only.
    assert (old["confirmed"], old["confirmed_found"], old["rejected"], old["rejected_avoided"]) == (
        1, 1, 1, 0,
    )  # fmt: skip
    assert (new["confirmed"], new["confirmed_found"], new["rejected"], new["rejected_avoided"]) == (
        1, 1, 1, 1,
    )  # fmt: skip
    assert old["checkpoint"] == "a" * 12 and not old["trained_here"]
    assert old["validation_ap"] is None or old["validation_ap"] != old["validation_ap"]


def test_counts_keep_to_the_sites_and_nights_in_scope(engine, ids) -> None:
    creek = versions_in(engine, Scope(sites=(seed.OTHER_SITE,)))
    assert creek["AST_Rana_Draytonii:1.0"]["recordings_scored"] == 1
    assert creek["AST_Rana_Draytonii:1.0"]["confirmed"] == 0  # the reviews are at the pond
    assert creek["AST_Rana_Draytonii:2.0"]["recordings_scored"] == 0  # listed, nothing run
    third = Scope(date_from=date(2024, 3, 3), date_to=date(2024, 3, 3))
    old = versions_in(engine, third)["AST_Rana_Draytonii:1.0"]
    assert (old["recordings_scored"], old["recordings_failed"], old["events"]) == (1, 1, 0)
    # Both versions compared on the night of 1 March only: the first recording.
    with Session(engine) as session:
        first_night = Scope(date_from=date(2024, 3, 1), date_to=date(2024, 3, 1))
        pairs = agreement(
            session=session, scope=first_night, first_id=ids["v2"], second_id=ids["v1"]
        )
        none = agreement(session=session, scope=third, first_id=ids["v2"], second_id=ids["v1"])
    assert pairs["recordings"].tolist() == [1] and none.empty


def test_a_trained_version_shows_its_clips_and_average_precision(engine, ids) -> None:
    training = {
        "data": {"clips": {"Rana draytonii": 30, "Negative": 70}},
        "validation": {"average_precision": 0.91},
        "test": {"average_precision": 0.87},
    }
    with session_scope(engine) as session:
        crud.get_or_create_model_version(
            session=session, name="AST_Rana_Draytonii", version="3.0",
            checkpoint_sha256="c" * 64, labels=seed.LABELS,
            settings=seed.SETTINGS | {"training": training},
        )  # fmt: skip
    row = versions_in(engine, Scope())["AST_Rana_Draytonii:3.0"]
    assert row["trained_here"] and row["training_clips"] == 100
    assert (row["validation_ap"], row["test_ap"]) == (0.91, 0.87)
    assert (row["recordings_scored"], row["events"], row["confirmed"]) == (0, 0, 0)
    assert row["minutes_analysed"] == 0.0


def test_nights_per_version_and_agreement_on_recordings_both_scored(engine, ids) -> None:
    with Session(engine) as session:
        nightly = nightly_by_version(session=session, scope=Scope(sites=(seed.SITE,)))
        pairs = agreement(session=session, scope=Scope(), first_id=ids["v1"], second_id=ids["v2"])
        names = version_names(session=session, ids=[ids["v2"], 10_000])
    got = {
        (row.night.date(), row.model_version_id): (
            row.recordings, row.minutes_analysed, row.minutes_with_calls, row.events
        )
        for row in nightly.itertuples()
    }  # fmt: skip
    assert got == {
        (date(2024, 3, 1), ids["v1"]): (2, 2.0, 1.0, 2),
        (date(2024, 3, 3), ids["v1"]): (1, 1.0, 0.0, 0),
        (date(2024, 3, 1), ids["v2"]): (1, 1.0, 1.0, 1),
    }
    # Only the first recording was scored by both, and both found calls in it.
    assert pairs.to_dict("records") == [
        {"first_calls": True, "second_calls": True, "recordings": 1}
    ]
    assert names == {ids["v2"]: "AST_Rana_Draytonii:2.0"}
