"""RanaWatch the way docker compose runs it, without docker: a real ``prefect server``, the
work pools and deployments registered from ``prefect.yaml`` by ``scripts/deploy.sh``, one
process worker per pool, and the ingest deployment run through them.

Everything lives in temporary folders: the Prefect home (SQLite), the RanaWatch database
(SQLite at the current schema), the recordings and a tiny model. The server's scheduler
runs, but the first scheduled run of every deployment lies at least 15 minutes ahead, so
within the test every run that executes was started by the test or by a trigger.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from cli.prefect_server import stop_process
from db.migrate import upgrade
from db.models import Recording, RecordingStatus
from db.session import get_engine, session_scope
from flows.schedules import (
    DEPLOYMENTS,
    DETECT,
    INGEST,
    INGESTED_EVENT,
    INGESTED_RESOURCE,
    REPORT,
    DeploymentPlan,
)
from tests.flows.helpers import sqlite_url, write_good_recordings
from tests.model_factory import tiny_card, tiny_model, write_checkpoint

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PREFECT_CLI = str(Path(sys.executable).with_name("prefect"))
SERVER_START_TIMEOUT_S = 120.0
RUN_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 4000) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return text[-chars:]


@contextmanager
def _background(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run ``cmd`` with output to ``log``; stop it with SIGINT (then kill) on the way out."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            stop_process(proc, STOP_TIMEOUT_S)


@dataclass(frozen=True)
class Stack:
    """A running Prefect server with RanaWatch deployed and a worker on each pool."""

    api_url: str
    env: dict[str, str]
    database_url: str
    logs: Path

    def prefect(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        """Run the ``prefect`` CLI against this server; fail the test when it fails."""
        result = subprocess.run(
            [PREFECT_CLI, *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            pytest.fail(
                f"`prefect {' '.join(args)}` exited with {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}\n{self.log_tails()}"
            )
        return result

    def api(self, path: str, body: dict | None = None) -> object:
        """GET (or, with a body, POST) one endpoint of the server's REST API."""
        request = urllib.request.Request(
            f"{self.api_url}/{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {log.name} ---\n{_tail(log)}" for log in sorted(self.logs.glob("*.log"))
        )


def _wait_healthy(api_url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prefect server exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"prefect server not healthy after {SERVER_START_TIMEOUT_S:.0f} s:\n{_tail(log)}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Server, pools, deployments and two workers; all stopped at the end of the module."""
    base = tmp_path_factory.mktemp("deployment-server")
    logs = base / "logs"
    logs.mkdir()
    audio = base / "audio"
    write_good_recordings(audio / "pond-a", n=2, seconds=4.0)
    database_url = sqlite_url(base / "ranawatch.db")
    upgrade(database_url)
    checkpoint = write_checkpoint(base / "tiny.pth", tiny_model())
    card = tiny_card().save(base / "tiny.yaml")

    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    # Nothing from the developer's own Prefect or RanaWatch configuration leaks in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RANAWATCH_"))}
    env.update(
        PREFECT_HOME=str(base / "prefect-home"),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT=PREFECT_CLI,
    )
    # What the compose file gives its workers, with local paths.
    worker_env = dict(
        env,
        RANAWATCH_DATABASE_URL=database_url,
        RANAWATCH_DATA_DIR=str(base / "data"),
        RANAWATCH_AUDIO_ROOTS=str(audio),
        RANAWATCH_CHECKPOINT=str(checkpoint),
        RANAWATCH_MODEL_CARD=str(card),
        RANAWATCH_DEVICE="cpu",
    )
    server_cmd = [PREFECT_CLI, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with ExitStack() as running:
        server = running.enter_context(_background(server_cmd, env, logs / "server.log"))
        _wait_healthy(api_url, server, logs / "server.log")
        stack = Stack(api_url=api_url, env=env, database_url=database_url, logs=logs)

        deploy = subprocess.run(
            [str(ROOT / "scripts" / "deploy.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert deploy.returncode == 0, f"deploy.sh failed:\n{deploy.stdout}\n{deploy.stderr}"

        for pool in (INGEST.work_pool, DETECT.work_pool):
            cmd = [PREFECT_CLI, "worker", "start", "--pool", pool, "--type", "process"]
            running.enter_context(_background(cmd, worker_env, logs / f"worker-{pool}.log"))
        yield stack


def _recordings(database_url: str) -> list[Recording]:
    with session_scope(get_engine(database_url)) as session:
        return list(session.exec(select(Recording)).all())


def test_deploy_registers_schedules_pools_and_working_directory(stack: Stack) -> None:
    for plan in (INGEST, DETECT, REPORT):
        deployment = stack.api(f"deployments/name/{plan.full_name}")
        assert deployment["work_pool_name"] == plan.work_pool
        assert deployment["entrypoint"] == plan.entrypoint
        (schedule,) = [s["schedule"] for s in deployment["schedules"]]
        if plan.interval_min is not None:
            assert schedule["interval"] == plan.interval_min * 60
        else:
            assert (schedule["cron"], schedule["timezone"]) == (plan.cron, plan.timezone)
        # Workers start runs in the folder `prefect deploy` ran in: the project root.
        (step,) = deployment["pull_steps"]
        directory = step["prefect.deployments.steps.set_working_directory"]["directory"]
        assert Path(directory) == ROOT

    # The trigger became an automation that runs the detect deployment.
    detect_id = stack.api(f"deployments/name/{DETECT.full_name}")["id"]
    automations = [
        a
        for a in stack.api("automations/filter", {})
        if any(action.get("deployment_id") == detect_id for action in a["actions"])
    ]
    assert len(automations) == 1
    trigger = automations[0]["trigger"]
    assert trigger["expect"] == [INGESTED_EVENT]
    assert trigger["match"] == {
        "prefect.resource.id": INGESTED_RESOURCE,
        "prefect.resource.name": INGEST.flow_name,
    }


def test_ingest_deployment_stores_recordings_and_triggers_detection(stack: Stack) -> None:
    # No parameters: the run takes its folders and database from the worker's
    # RANAWATCH_* settings, exactly as a scheduled run would.
    run = stack.prefect(
        "deployment",
        "run",
        INGEST.full_name,
        "--watch",
        "--watch-timeout",
        str(int(RUN_TIMEOUT_S)),
        timeout=RUN_TIMEOUT_S + 30,
    )
    assert "Completed" in run.stdout

    recordings = _recordings(stack.database_url)
    assert sorted(Path(r.path).parent.name for r in recordings) == ["pond-a", "pond-a"]
    assert all(r.readable for r in recordings)

    # The ingest run's "recordings ingested" event triggers detect-calls on the gpu pool.
    # The recordings are marked done inside that run, a moment before it completes: wait
    # for both.
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        statuses = {r.status for r in _recordings(stack.database_url)}
        triggered = [
            r["state"]["type"]
            for r in _flow_runs(stack, DETECT)
            if (r["created_by"] or {}).get("type") == "AUTOMATION"
        ]
        if statuses == {RecordingStatus.DONE} and triggered and triggered[0] in FINAL_STATES:
            break
        time.sleep(2)
    else:
        pytest.fail(
            f"detection not finished in time: recordings {statuses}, triggered runs "
            f"{triggered}\n{stack.log_tails()}"
        )
    assert triggered == ["COMPLETED"]


FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _flow_runs(stack: Stack, plan: DeploymentPlan) -> list[dict]:
    return stack.api("flow_runs/filter", {"flows": {"name": {"any_": [plan.flow_name]}}})


def test_server_schedules_each_deployment(stack: Stack) -> None:
    # The scheduler inserts the coming runs of every deployment within seconds of
    # `prefect deploy`; their start times are the schedules as the server reads them.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        planned = {
            plan.name: sorted(
                datetime.fromisoformat(run["expected_start_time"])
                for run in _flow_runs(stack, plan)
                if "auto-scheduled" in run["tags"]
            )
            for plan in DEPLOYMENTS
        }
        if all(len(times) >= 2 for times in planned.values()):
            break
        time.sleep(1)
    else:
        pytest.fail(
            f"the Prefect server scheduled no runs ({ {k: len(v) for k, v in planned.items()} }). "
            'If its log says "Can\'t evaluate bulk DML statement", SQLAlchemy 2.1 is installed; '
            "Prefect 3.8's scheduler needs sqlalchemy<2.1.\n" + stack.log_tails()
        )
    for plan in DEPLOYMENTS:
        first, second = planned[plan.name][:2]
        if plan.interval_min is not None:
            assert second - first == timedelta(minutes=plan.interval_min)
        else:
            # Daily crons only ("M H * * *"): the same local time on consecutive days.
            minute, hour = (int(field) for field in plan.cron.split()[:2])
            local = [t.astimezone(ZoneInfo(plan.timezone)) for t in (first, second)]
            assert [(t.hour, t.minute) for t in local] == [(hour, minute)] * 2
            assert local[1].date() - local[0].date() == timedelta(days=1)
