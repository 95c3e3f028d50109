"""Prefect servers for the lifetime of a command, that never outlive it.

``ranawatch serve`` needs a real server (:func:`local_prefect_server`): Prefect's temporary
in-process server runs no scheduler, so served deployments would never start on their
schedules; a real server does, and gives the Prefect UI. ``ranawatch ingest`` needs only
an API for its two flow runs (:func:`temporary_prefect_server`, what Prefect itself would
start, but with its output in a log file instead of the terminal).

Both run under :mod:`cli.with_parent`: when the command dies, even by ``kill -9``, the
server stops too instead of lingering as an orphan holding its port.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cli.with_parent import die_with_parent
from core.errors import ConfigError
from core.settings import child_environment

logger = logging.getLogger(__name__)

SERVER_START_TIMEOUT_S = 120.0
SERVER_STOP_TIMEOUT_S = 30.0


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _child_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "cli.with_parent", str(os.getpid()), module, *args]


@contextmanager
def _server(command: list[str], api_url: str, log_path: Path, env: dict[str, str], hint: str):
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        # Its own session: a Ctrl-C in the terminal reaches the command alone, which
        # finishes its work (serve pauses its schedules) before the server is stopped.
        server = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(api_url):
            if server.poll() is not None:
                raise ConfigError(
                    f"the Prefect server exited (status {server.returncode}); see {log_path}. "
                    + hint
                )
            if time.monotonic() > deadline:
                raise ConfigError(
                    f"the Prefect server did not answer within {SERVER_START_TIMEOUT_S:.0f} s; "
                    f"see {log_path}"
                )
            time.sleep(0.2)
        yield server
    finally:
        stop_process(server, SERVER_STOP_TIMEOUT_S)


@contextmanager
def local_prefect_server(port: int, log_path: Path) -> Iterator[str]:
    """Run ``prefect server start`` on 127.0.0.1:``port`` for the duration; yield its API URL.

    The server keeps its state in Prefect's home folder (``~/.prefect`` unless
    ``PREFECT_HOME`` says otherwise), so run history survives restarts.

    Raises
    ------
    ConfigError
        The server exits or is not healthy within :data:`SERVER_START_TIMEOUT_S`.
    """
    api_url = f"http://127.0.0.1:{port}/api"
    command = _child_command("prefect", "server", "start", "--host", "127.0.0.1")
    command += ["--port", str(port)]
    hint = (
        f"If port {port} is taken, pass --port, or point PREFECT_API_URL at the server "
        "already running there"
    )
    with _server(command, api_url, log_path, child_environment(), hint):
        logger.info("Prefect server at %s (UI: http://127.0.0.1:%d)", api_url, port)
        yield api_url


@contextmanager
def temporary_prefect_server(log_path: Path) -> Iterator[str]:
    """A Prefect API without UI or schedules for one command's flow runs; yield its URL.

    The same app Prefect starts for flows run without a server (``SubprocessASGIServer``),
    on a free port, with its output appended to ``log_path`` and its life tied to this
    process.

    Raises
    ------
    ConfigError
        The server exits or is not healthy within :data:`SERVER_START_TIMEOUT_S`.
    """
    import prefect
    from prefect.settings import get_current_settings

    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    command = _child_command(
        "uvicorn",
        "--app-dir",
        str(prefect.__module_path__.parent),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    )
    env = child_environment(
        {
            **get_current_settings().to_environment_variables(exclude_unset=True),
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        },
        drop=("PREFECT_API_URL",),
    )
    with _server(command, api_url, log_path, env, "the log says why") as server:
        logger.debug("temporary Prefect server %s (pid %d), log %s", api_url, server.pid, log_path)
        yield api_url


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen, timeout_s: float) -> None:
    """Stop a Prefect server or worker: SIGINT (workers ignore SIGTERM), then kill.

    Parameters
    ----------
    proc
        The process; nothing happens when it has already exited.
    timeout_s
        Seconds to wait after SIGINT before killing it.
    """
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
