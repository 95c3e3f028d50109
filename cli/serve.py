"""``ranawatch serve``: the scheduled deployments, run on this machine without docker.

The same three deployments as ``prefect.yaml`` (see :mod:`flows.schedules`): ingest every
15 minutes, detection after every ingest and hourly, the site reports nightly. They run in
this process (``prefect.serve``) until Ctrl-C.

Schedules need a Prefect server: Prefect's temporary in-process server never starts
scheduled runs. Unless ``PREFECT_API_URL`` points at one, ``serve`` starts a local server
(its UI at http://127.0.0.1:4200) for as long as it runs, and stops it on the way out.

The database, the sites file, the model card and the checkpoint (``RANAWATCH_CHECKPOINT``)
are checked before anything is served. The server stops with ``serve``, also when it is
killed; its log is ``<data_dir>/logs/prefect-server.log``.

Exit status: 0 after Ctrl-C, 1 when the setup is wrong or the server cannot start (one line
says what to do), 2 for bad usage.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError

from cli import common
from cli.prefect_server import local_prefect_server
from core.errors import ConfigError
from core.settings import get_settings
from db.sites import load_sites_file
from flows.schedules import (
    DEPLOYMENTS,
    DETECT,
    INGEST,
    INGESTED_EVENT,
    INGESTED_RESOURCE,
    LOCAL_TIMEZONE,
    REPORT,
    DeploymentPlan,
)

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

logger = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``ranawatch`` app."""
    app.command("serve")(serve_command)


def plans_for(
    ingest_every_min: int, detect_every_min: int, report_cron: str, timezone: str
) -> tuple[DeploymentPlan, ...]:
    """The deployments of :mod:`flows.schedules` with the given schedules.

    Parameters
    ----------
    ingest_every_min, detect_every_min
        Minutes between ingest runs and between catch-up detection runs.
    report_cron
        Cron expression of the report run, in ``timezone``.
    timezone
        IANA time zone of ``report_cron`` (e.g. ``America/Los_Angeles``).
    """
    overrides = {
        INGEST.name: {"interval_min": ingest_every_min},
        DETECT.name: {"interval_min": detect_every_min},
        REPORT.name: {"cron": report_cron},
    }
    return tuple(
        replace(plan, timezone=timezone, **overrides.get(plan.name, {})) for plan in DEPLOYMENTS
    )


def load_flow(plan: DeploymentPlan) -> Flow:
    """Import the flow of ``plan`` from its ``module:function`` entrypoint.

    Raises
    ------
    ConfigError
        The module cannot be imported or has no such flow.
    """
    from prefect import Flow

    module_name, _, function = plan.entrypoint.partition(":")
    try:
        flow = getattr(importlib.import_module(module_name), function, None)
    except ImportError as exc:
        raise ConfigError(
            f"cannot load the {plan.flow_name} flow from {module_name}: {exc}; "
            "reinstall RanaWatch (scripts/setup.sh)"
        ) from exc
    if not isinstance(flow, Flow):
        raise ConfigError(f"{plan.entrypoint} is not a Prefect flow; reinstall RanaWatch")
    return flow


def build_deployments(
    plans: tuple[DeploymentPlan, ...],
    parameters: dict[str, dict[str, Any]] | None = None,
    load: Callable[[DeploymentPlan], Flow] = load_flow,
) -> list[RunnerDeployment]:
    """One served deployment per plan: its schedule, its trigger, its description.

    Parameters
    ----------
    plans
        What to serve (see :func:`plans_for`).
    parameters
        Flow parameters of each deployment, keyed by plan name (default: none, so the
        flows take their RANAWATCH_* settings).
    load
        Gives the flow of a plan (tests pass small flows of their own).

    Raises
    ------
    ConfigError
        A flow cannot be loaded.
    """
    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
    from prefect.events import DeploymentEventTrigger

    deployments = []
    for plan in plans:
        schedules: list[Any] = []
        if plan.interval_min is not None:
            schedules.append(IntervalSchedule(interval=timedelta(minutes=plan.interval_min)))
        if plan.cron is not None:
            schedules.append(CronSchedule(cron=plan.cron, timezone=plan.timezone))
        triggers = []
        if plan.after_flow is not None:
            triggers.append(
                DeploymentEventTrigger(
                    expect={INGESTED_EVENT},
                    match={
                        "prefect.resource.id": INGESTED_RESOURCE,
                        "prefect.resource.name": plan.after_flow,
                    },
                )
            )
        deployments.append(
            load(plan).to_deployment(
                name=plan.name,
                schedules=schedules,
                triggers=triggers,
                description=plan.description,
                parameters=(parameters or {}).get(plan.name, {}),
                tags=["ranawatch"],
            )
        )
    return deployments


def serve_command(
    roots: list[Path] | None = typer.Argument(
        None,
        exists=True,
        file_okay=False,
        resolve_path=True,
        show_default=False,
        help="Folders to watch for new recordings (default: RANAWATCH_AUDIO_ROOTS).",
    ),
    site: str | None = typer.Option(
        None, "--site", help="Put every new recording at this site (default: sites file)."
    ),
    ingest_every: int = typer.Option(
        INGEST.interval_min,
        "--ingest-every",
        min=1,
        metavar="MIN",
        help="Minutes between scans of the audio folders (RANAWATCH_AUDIO_ROOTS).",
    ),
    detect_every: int = typer.Option(
        DETECT.interval_min,
        "--detect-every",
        min=1,
        metavar="MIN",
        help="Minutes between catch-up detection runs; detection also starts after each scan.",
    ),
    report_cron: str = typer.Option(
        REPORT.cron,
        "--report-cron",
        metavar="CRON",
        help="When to write the site reports: a cron expression in --timezone.",
    ),
    timezone: str = typer.Option(
        LOCAL_TIMEZONE, "--timezone", help="Time zone of --report-cron (IANA name)."
    ),
    port: int = typer.Option(
        4200,
        "--port",
        min=1,
        max=65535,
        help="Port of the Prefect server started when PREFECT_API_URL is not set.",
    ),
) -> None:
    """Run ingest, detection and reports on a schedule on this machine, until Ctrl-C."""
    from prefect import serve
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    try:
        CronSchedule(cron=report_cron, timezone=timezone)
    except ValidationError as exc:
        reason = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise typer.BadParameter(reason, param_hint="--report-cron/--timezone") from exc
    settings = get_settings()
    if not roots and not settings.audio_roots:
        raise typer.BadParameter(
            "no folders to watch: give them (ranawatch serve DIR...) or set RANAWATCH_AUDIO_ROOTS",
            param_hint="ROOTS",
        )

    plans = plans_for(ingest_every, detect_every, report_cron, timezone)
    ingest_parameters: dict[str, Any] = {}
    if roots:
        ingest_parameters["roots"] = [str(root) for root in roots]
    if site:
        ingest_parameters["site"] = site
    common.database_url(create=True)
    with common.user_errors():
        # Said now, not at the first scheduled run: what detection and ingest will need.
        for root in roots or settings.audio_roots:
            if not Path(root).expanduser().is_dir():
                raise ConfigError(
                    f"{root}: audio folder not found or not a folder; check the path (is "
                    "the drive mounted?) or RANAWATCH_AUDIO_ROOTS"
                )
        if settings.sites_file:
            load_sites_file(settings.sites_file)
        ckpt, card = common.model_files(None, None)
        how = "set RANAWATCH_CHECKPOINT (in the environment or .env)"
        logger.info("model %s", common.check_model(ckpt, card, settings.device, how=how))
    with common.user_errors():
        deployments = build_deployments(plans, {INGEST.name: ingest_parameters})
        configured = get_current_settings().api.url
        server = (
            nullcontext(configured)
            if configured
            else local_prefect_server(port, settings.data_dir / "logs" / "prefect-server.log")
        )
        with server as api_url, temporary_settings({PREFECT_API_URL: api_url}):
            typer.echo(f"Serving {', '.join(p.full_name for p in plans)} on {api_url}")
            serve(*deployments)
