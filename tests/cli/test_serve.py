"""``ranawatch serve``: the served deployments match flows/schedules.py; bad usage exits 2.

Serving itself (a Prefect server, schedules firing) is what tests/flows/
test_deployment_server.py exercises through prefect.yaml; here the deployments are built but
not served, so nothing needs a server except the port-in-use case.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from typer.testing import CliRunner

from cli.main import app
from cli.prefect_server import local_prefect_server
from cli.serve import build_deployments, plans_for
from core.errors import ConfigError
from core.settings import get_settings
from flows.schedules import (
    DEPLOYMENTS,
    DETECT,
    INGEST,
    INGESTED_EVENT,
    INGESTED_RESOURCE,
    REPORT,
)

runner = CliRunner()


@pytest.fixture
def clean_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No RANAWATCH_* variables, no .env file, fresh settings."""
    for name in ("RANAWATCH_AUDIO_ROOTS", "RANAWATCH_DATA_DIR", "RANAWATCH_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_plans_keep_deployments_and_take_the_given_schedules() -> None:
    plans = plans_for(5, 30, "30 7 * * *", "UTC")
    assert [(p.name, p.entrypoint, p.work_pool) for p in plans] == [
        (p.name, p.entrypoint, p.work_pool) for p in DEPLOYMENTS
    ]
    by_name = {p.name: p for p in plans}
    assert by_name[INGEST.name].interval_min == 5
    assert by_name[DETECT.name].interval_min == 30
    assert by_name[DETECT.name].after_flow == INGEST.flow_name
    assert (by_name[REPORT.name].cron, by_name[REPORT.name].timezone) == ("30 7 * * *", "UTC")


def test_built_deployments_carry_schedules_trigger_and_ingest_parameters() -> None:
    plans = plans_for(15, 60, "0 6 * * *", "America/Los_Angeles")
    parameters = {INGEST.name: {"roots": ["/srv/audio"], "site": "Pond A"}}
    deployments = {d.name: d for d in build_deployments(plans, parameters)}
    assert set(deployments) == {p.name for p in DEPLOYMENTS}

    ingest = deployments[INGEST.name]
    (schedule,) = [s.schedule for s in ingest.schedules]
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.interval == timedelta(minutes=15)
    assert ingest.parameters == {"roots": ["/srv/audio"], "site": "Pond A"}
    assert ingest.triggers == []

    detect = deployments[DETECT.name]
    assert detect.parameters == {}
    (trigger,) = detect.triggers
    assert trigger.expect == {INGESTED_EVENT}
    match = trigger.match  # a ResourceSpecification (a pydantic RootModel)
    assert match.model_dump() == {
        "prefect.resource.id": INGESTED_RESOURCE,
        "prefect.resource.name": INGEST.flow_name,
    }

    (report_schedule,) = [s.schedule for s in deployments[REPORT.name].schedules]
    assert isinstance(report_schedule, CronSchedule)
    assert (report_schedule.cron, report_schedule.timezone) == (
        "0 6 * * *",
        "America/Los_Angeles",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--report-cron", "61 * * * *"], "Invalid cron string"),
        (["--timezone", "Mars/Olympus_Mons"], "Invalid timezone"),
        (["--ingest-every", "0"], "--ingest-every"),
    ],
)
def test_bad_schedule_is_bad_usage(clean_settings: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["serve", str(clean_settings), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_no_folders_to_watch_is_bad_usage(clean_settings: Path) -> None:
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "RANAWATCH_AUDIO_ROOTS" in result.output


def test_missing_folder_is_bad_usage(clean_settings: Path) -> None:
    result = runner.invoke(app, ["serve", str(clean_settings / "no-such-card")])
    assert result.exit_code == 2
    assert "no-such-card" in result.output


def test_local_server_on_a_taken_port_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    log = tmp_path / "server.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as excinfo, local_prefect_server(port, log):
            pytest.fail("the server should not have started")
    message = str(excinfo.value)
    assert f"port {port}" in message
    assert str(log) in message
    assert "already in use" in log.read_text(encoding="utf-8")


def test_serve_without_a_checkpoint_says_so_before_serving(
    clean_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANAWATCH_DATA_DIR", str(clean_settings / "data"))
    for name in ("RANAWATCH_CHECKPOINT", "RANAWATCH_MODEL_CARD", "RANAWATCH_SITES_FILE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    (clean_settings / "card").mkdir()
    result = runner.invoke(app, ["serve", str(clean_settings / "card")])
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: no checkpoint given") and "RANAWATCH_CHECKPOINT" in line
    assert "--checkpoint" not in line  # serve has no such option
    assert "Serving" not in result.stdout


def test_serve_with_a_missing_configured_folder_says_so(
    clean_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANAWATCH_DATA_DIR", str(clean_settings / "data"))
    monkeypatch.setenv("RANAWATCH_AUDIO_ROOTS", str(clean_settings / "unmounted"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1, result.output
    assert "unmounted: audio folder not found" in result.stderr
