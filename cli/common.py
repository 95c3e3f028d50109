"""What every ``ranawatch`` command that touches the database does first.

Each says which database it uses in its first log line (so a second, empty database made by
a command run elsewhere can no longer go unnoticed), and turns the database's problems into
one line saying what to do instead of a traceback. Read-only commands (``list``,
``report``, the dashboard) never create a database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from core.errors import RanaWatchError
from core.settings import get_settings
from db.session import redact_url

# Options of the commands that score (``ingest``, ``detect``): one declaration each.
CHECKPOINT_OPTION = typer.Option(
    None,
    "--checkpoint",
    exists=True,
    dir_okay=False,
    help="Model checkpoint .pth (default RANAWATCH_CHECKPOINT).",
)
MODEL_CARD_OPTION = typer.Option(
    None, "--model-card", help="Model card YAML or preset name (default: the frog model)."
)


logger = logging.getLogger("ranawatch")


def database_url(option: str | None = None, *, create: bool = False) -> str:
    """The database a command works on, checked; logs which one it is.

    Parameters
    ----------
    option
        ``--database-url`` if given; default: the settings (``RANAWATCH_DATABASE_URL``,
        else ``<data_dir>/ranawatch.db``).
    create
        Create and migrate a local SQLite database when needed (``ingest``, ``serve``);
        otherwise the database must exist at the current schema (read-only commands).

    Raises
    ------
    typer.Exit
        Code 1, after one line on stderr saying what is wrong and what to do.
    """
    from db.migrate import prepare_database, require_current_schema

    url = option or get_settings().resolved_database_url
    logger.info("database %s", redact_url(url))
    with user_errors():
        if create:
            prepare_database(url)
        else:
            require_current_schema(url)
    return url


@contextmanager
def user_errors(out: Path | None = None) -> Iterator[None]:
    """Print a RanaWatch error as one ``error: ...`` line and exit 1 (no traceback); with
    ``out``, an operating-system error (a folder that cannot be written) too."""
    try:
        yield
    except RanaWatchError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except OSError as exc:
        if out is None:
            raise
        typer.echo(f"error: cannot write into {out}: {exc}", err=True)
        raise typer.Exit(1) from exc


def positive(option: str) -> Callable[[float | None], float | None]:
    """A typer callback that refuses a value of ``option`` that is not greater than 0."""

    def check(value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise typer.BadParameter(f"{option} must be greater than 0, got {value}")
        return value

    return check


def model_files(
    checkpoint: Path | str | None, model_card: str | None
) -> tuple[str | None, str | None]:
    """The checkpoint and model card a command runs: its options, else the settings.

    Returns ``(checkpoint, model_card)`` as text, ``None`` where neither gives one (no
    checkpoint: :func:`check_model` says what to do; no card: the frog model).
    """
    settings = get_settings()
    ckpt = checkpoint or settings.checkpoint
    card = model_card or settings.model_card
    return (str(ckpt) if ckpt else None, str(card) if card else None)


def check_model(
    checkpoint: str | None,
    model_card: str | None,
    device: str,
    *,
    how: str = "pass --checkpoint PATH or set RANAWATCH_CHECKPOINT",
) -> str:
    """Load the model card and the checkpoint on the device, as detection will.

    Run before any file is touched, so that a wrong checkpoint is said at once and not
    after an hour of ingest. Returns ``"NAME VERSION"`` of the model.

    Parameters
    ----------
    checkpoint, model_card
        As :func:`model_files` gives them.
    device
        ``auto``, ``cpu`` or ``cuda``.
    how
        What the command's user does to give a checkpoint (ends the error when none is).

    Raises
    ------
    ConfigError, CheckpointError
        No checkpoint, an invalid card, a checkpoint that does not fit it, or a device
        that is not there.
    """
    from core.errors import CheckpointError
    from core.model.card import load_model_card
    from core.model.detector import build_detector

    card = load_model_card(model_card)
    if checkpoint is None:
        raise CheckpointError(f"no checkpoint given: {how}")
    build_detector(card, checkpoint, device=device)
    return f"{card.name} {card.version}"


def quiet_library_logs() -> None:
    """Keep the terminal to the flows' own progress lines (``--verbose`` shows everything)."""
    # One "Finished in state Completed()" line per task and file, and one line per HTTP
    # request to the temporary Prefect server, drown the flows' own progress lines;
    # --verbose (DEBUG on the root logger) keeps them.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("prefect.task_runs", "httpx", "alembic.runtime.migration"):
            logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def prefect_api() -> Iterator[str]:
    """The Prefect API for this command's flow runs: ``PREFECT_API_URL``, else a temporary one.

    The temporary server's output goes to ``<data_dir>/logs/prefect-server.log`` and it
    stops with the command, even when the command is killed.
    """
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from cli.prefect_server import temporary_prefect_server

    configured = get_current_settings().api.url
    if configured:
        yield configured
        return
    log_path = get_settings().data_dir / "logs" / "prefect-server.log"
    with temporary_prefect_server(log_path) as url, temporary_settings({PREFECT_API_URL: url}):
        try:
            yield url
        finally:
            _send_what_is_queued()


def _send_what_is_queued() -> None:
    # Run logs and events are sent in the background; deliver them while the server is
    # still there, or each would print "Error logging to API" once it is gone.
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=10, at_exit=False)
