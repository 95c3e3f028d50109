"""The run log every flow keeps: one row per run, closed however the run ends."""

from __future__ import annotations

import pytest
from prefect import flow
from sqlmodel import select

from db.models import FlowStatus, RunLog
from db.session import get_engine, session_scope
from flows.runlog import run_log

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _rows(url: str) -> list[RunLog]:
    with session_scope(get_engine(url)) as session:
        return list(session.exec(select(RunLog).order_by(RunLog.id)).all())


# Prefect copies flow parameters: the clean-up writes here instead.
CLEANED: list[str] = []


@flow(name="runlog-test")
def _flow(url: str, outcome: str) -> None:
    with run_log(url, "runlog-test", on_error=lambda: CLEANED.append("released")) as run:
        run.counts["seen"] += 2
        if outcome == "raise":
            raise RuntimeError("the disk went away")
        if outcome == "error":
            run.error = "site A: not writable"
            return
        run.finish({"seen": 2, "stored": 1}, message="2 seen, 1 stored")


def test_each_ending_is_recorded(database_url: str) -> None:
    CLEANED.clear()
    _flow(database_url, "ok")
    _flow(database_url, "error")
    with pytest.raises(RuntimeError, match="disk went away"):
        _flow(database_url, "raise")
    ok, error, raised = _rows(database_url)
    assert (ok.status, ok.counts, ok.message) == (
        FlowStatus.COMPLETED,
        {"seen": 2, "stored": 1},
        "2 seen, 1 stored",
    )
    assert (error.status, error.message, error.counts) == (
        FlowStatus.FAILED,
        "site A: not writable",
        {"seen": 2},
    )
    assert raised.status is FlowStatus.FAILED
    assert raised.message == "RuntimeError: the disk went away"
    assert raised.counts == {"seen": 2} and raised.finished_at is not None
    # The clean-up ran once, for the run that raised, before its row was closed.
    assert CLEANED == ["released"]
    assert all(row.flow == "runlog-test" and row.flow_run_id for row in (ok, error, raised))


def test_an_unmigrated_database_gets_no_row(tmp_path) -> None:
    from core.errors import ConfigError

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(ConfigError, match="ranawatch db upgrade"):
        _flow(url, "ok")
