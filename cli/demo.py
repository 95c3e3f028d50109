"""``ranawatch demo``: the whole platform on a synthetic season, on this machine.

``ranawatch demo`` generates a synthetic AudioMoth season (:mod:`core.demo`), trains the demo
model ``AST_demo_synthetic:0.1`` on the generator's own calls (once; cached), ingests the
season through the ``ingest-recordings`` flow into a SQLite database of its own, scores it
with the ``detect-calls`` flow, writes the per-site reports with ``write-site-reports``,
prints where everything is and how well the planted calls were recovered, and serves the
dashboard until Ctrl-C. The flows run against a local Prefect server started for the
duration (its log goes to a file). Everything lives in ``<RANAWATCH_DATA_DIR>/demo/``; run
again, it only serves what is there.

``ranawatch demo generate OUT`` writes the season alone.

Exit status: 0 after Ctrl-C (or after the reports with ``--no-serve``), 1 when a step cannot
run, 2 for bad usage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer

from cli import common
from cli.demo_progress import log_to_file, progress_bars, quiet_console, watch
from core.demo.generate import GROUND_TRUTH, SITES_FILE, generate_season, read_ground_truth
from core.demo.season import SeasonConfig
from core.settings import get_settings

logger = logging.getLogger(__name__)

demo_app = typer.Typer(
    help="The whole platform on a synthetic season (generate, ingest, detect, report, serve).",
    invoke_without_command=True,
)

_NIGHTS = typer.Option(
    SeasonConfig().nights, "--nights", min=1, max=120, help="Nights in the season."
)
_SEED = typer.Option(
    SeasonConfig().seed, "--seed", help="Seed of the season (same seed, same files)."
)
_HOURS = typer.Option(
    SeasonConfig().hours_after_sunset,
    "--hours",
    min=0.5,
    max=14,
    help="Hours recorded after sunset each night.",
)


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command group to the ``ranawatch`` app."""
    app.add_typer(demo_app, name="demo")


@dataclass(frozen=True)
class DemoPaths:
    """Where the demo keeps its things: ``<data_dir>/demo/...``."""

    root: Path

    @property
    def audio(self) -> Path:
        return self.root / "audio"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def database(self) -> Path:
        return self.root / "ranawatch.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.database.resolve()}"

    @property
    def state(self) -> Path:
        return self.root / "demo-state.json"


@demo_app.callback()
def demo_command(
    ctx: typer.Context,
    nights: int = _NIGHTS,
    seed: int = _SEED,
    hours: float = _HOURS,
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Serve the dashboard at the end (until Ctrl-C)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address the dashboard listens on."),
    port: int = typer.Option(8050, "--port", min=1, max=65535, help="Dashboard port."),
) -> None:
    """Run the whole platform on a synthetic season, then serve the dashboard."""
    if ctx.invoked_subcommand is not None:
        return
    config = SeasonConfig(nights=nights, seed=seed, hours_after_sunset=hours)
    paths = DemoPaths(get_settings().data_dir / "demo")
    with common.user_errors():
        summary = run_demo(paths, config)
    typer.echo(summary)
    if serve:
        serve_dashboard(paths, host, port)
    else:
        typer.echo(f"\nDashboard: ranawatch dashboard --database-url {paths.url}")


@demo_app.command("generate")
def generate_command(
    out: Path = typer.Argument(..., file_okay=False, help="Folder to write the season into."),
    nights: int = _NIGHTS,
    seed: int = _SEED,
    hours: float = _HOURS,
) -> None:
    """Write a synthetic AudioMoth season (files, ground truth, sites file) into OUT."""
    config = SeasonConfig(nights=nights, seed=seed, hours_after_sunset=hours)
    with progress_bars() as bar:
        season = generate_season(out, config, bar("generating recordings"))
    typer.echo(
        f"{len(season.files)} synthetic recordings with {season.calls} planted calls in {out}\n"
        f"ground truth: {season.ground_truth}\nsites file: {season.sites_file}"
    )


def run_demo(paths: DemoPaths, config: SeasonConfig) -> str:
    """Every step of the demo that is not done yet; return the summary to print."""
    from core.demo.model import ensure_demo_model

    paths.root.mkdir(parents=True, exist_ok=True)
    wanted = config.model_dump_json()
    state = _read_state(paths)
    if state.get("season") != wanted:
        # Another season: start afresh (the trained model is kept).
        for stale in (paths.audio, paths.reports):
            shutil.rmtree(stale, ignore_errors=True)
        paths.database.unlink(missing_ok=True)
        state = {}
    log = log_to_file(paths.root / "demo.log")
    quiet_console()
    try:
        with progress_bars() as bar:
            if not (paths.audio / GROUND_TRUTH).is_file():
                generate_season(paths.audio, config, bar("generating the synthetic season"))
            training = bar("training the demo model (cached after)")
            model = ensure_demo_model(paths.model, training)
            training(1, 1)
            sha = hashlib.sha256(model.checkpoint.read_bytes()).hexdigest()
            if state.get("model_sha256") != sha:
                _run_flows(paths, model.checkpoint, model.card, bar)
                state = {"season": wanted, "model_sha256": sha}
                paths.state.write_text(json.dumps(state), encoding="utf-8")
    finally:
        log.close()
    return _summary(paths)


def _run_flows(paths: DemoPaths, checkpoint: Path, card: Path, bar: Callable) -> None:
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        temporary_settings,
    )

    from cli.prefect_server import free_port, local_prefect_server
    from db.migrate import prepare_database
    from flows.detect import detect_calls
    from flows.ingest import ingest_recordings
    from flows.report import write_site_reports

    files = sorted(p for p in paths.audio.rglob("*.WAV"))
    quiet_console()
    prepare_database(paths.url)
    # The server is stopped when the demo ends: logs go to demo.log, not to its API.
    quiet = {PREFECT_API_URL: None, PREFECT_LOGGING_TO_API_ENABLED: False}
    server = local_prefect_server(free_port(), paths.root / "prefect-server.log")
    starting = bar("starting a local Prefect server")
    with server as api_url, temporary_settings(quiet | {PREFECT_API_URL: api_url}):
        starting(1, 1)
        with watch(paths.url, "stored", len(files), bar("ingesting (ingest-recordings flow)")):
            ingest_recordings(
                roots=[str(paths.audio)],
                sites_file=str(paths.audio / SITES_FILE),
                database_url=paths.url,
                settle_s=0.0,
            )
        with watch(paths.url, "scored", len(files), bar("detecting (detect-calls flow)")):
            detect_calls(
                checkpoint=str(checkpoint),
                model_card=str(card),
                device="cpu",
                database_url=paths.url,
            )
        report = bar("writing site reports (write-site-reports flow)")
        write_site_reports(out_dir=str(paths.reports), database_url=paths.url)
        report(1, 1)


def _summary(paths: DemoPaths) -> str:
    from core.demo.evaluate import score_events
    from core.demo.model import DEMO_MODEL_NAME, DEMO_MODEL_VERSION

    truth = [
        (row["file"], float(row["start_s"]), float(row["end_s"]))
        for row in read_ground_truth(paths.audio / GROUND_TRUTH)
    ]
    detected, recordings = _detected_events(paths)
    score = score_events(truth, detected)
    workbooks = sorted(paths.reports.rglob("*.xlsx"))
    lines = [
        "",
        "RanaWatch demo (synthetic data: made-up sites, recorders and calls)",
        f"  audio      {paths.audio}  ({recordings} recordings; ground truth: {GROUND_TRUTH})",
        f"  database   {paths.database}",
        f"  reports    {paths.reports}  ({len(workbooks)} site workbooks)",
        f"  model      {DEMO_MODEL_NAME}:{DEMO_MODEL_VERSION}  ({paths.model})",
        f"  planted calls recovered: {score.recovered} of {score.calls}"
        f" (event recall {score.recall:.2f});"
        f" events correct: {score.correct} of {score.events} (precision {score.precision:.2f})",
    ]
    return "\n".join(lines)


def _detected_events(paths: DemoPaths) -> tuple[list[tuple[str, float, float]], int]:
    from db import crud
    from db.session import get_engine, session_scope

    root = paths.audio.resolve()
    with session_scope(get_engine(paths.url)) as session:
        recordings = len(crud.list_recordings(session=session))
        rows = crud.list_detections(session=session)
        events = [
            (Path(rec.path).resolve().relative_to(root).as_posix(), det.start_s, det.end_s)
            for det, rec, version, _site in rows
            if version.name.startswith("AST_demo")
        ]
    return events, recordings


def serve_dashboard(paths: DemoPaths, host: str, port: int) -> None:
    """Serve the dashboard of the demo database until Ctrl-C (its audio playable)."""
    from dashboard.app import create_app

    settings = get_settings().model_copy(update={"audio_roots": [paths.audio.resolve()]})
    app = create_app(paths.url, settings=settings)
    typer.echo(f"\nDashboard: http://{host}:{port}/  (Ctrl-C stops it)")
    try:
        app.run(host=host, port=port, debug=False)
    except OSError as exc:
        typer.echo(f"error: cannot serve on {host}:{port}: {exc}; try --port", err=True)
        raise typer.Exit(1) from exc


def _read_state(paths: DemoPaths) -> dict:
    try:
        return json.loads(paths.state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
