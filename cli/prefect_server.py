"""A local ``prefect server`` for the lifetime of a command (``ranawatch serve``).

Prefect's temporary in-process server runs no scheduler, so served deployments would never
start on their schedules; a real server started here does, and gives the Prefect UI.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import ConfigError

logger = logging.getLogger(__name__)

SERVER_START_TIMEOUT_S = 120.0
SERVER_STOP_TIMEOUT_S = 30.0


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


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
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "prefect", "server", "start"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("ab") as log:
        # Its own session: a Ctrl-C in the terminal reaches `serve` alone, which pauses its
        # schedules on the server before the server is stopped.
        server = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(api_url):
            if server.poll() is not None:
                raise ConfigError(
                    f"the Prefect server exited (status {server.returncode}); see {log_path}. "
                    f"If port {port} is taken, pass --port, or point PREFECT_API_URL at the "
                    "server already running there"
                )
            if time.monotonic() > deadline:
                raise ConfigError(
                    f"the Prefect server did not answer within {SERVER_START_TIMEOUT_S:.0f} s; "
                    f"see {log_path}"
                )
            time.sleep(0.5)
        logger.info("Prefect server at %s (UI: http://127.0.0.1:%d)", api_url, port)
        yield api_url
    finally:
        stop_process(server, SERVER_STOP_TIMEOUT_S)


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
