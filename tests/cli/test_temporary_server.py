"""The temporary Prefect server of ``ranawatch ingest``: quiet, and gone with its command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.flows.helpers import write_good_recordings

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RANAWATCH_", "PREFECT_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        RANAWATCH_DATA_DIR=str(tmp_path / "data"),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    return env


def _ingest(tmp_path: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cli.main",
        "ingest",
        str(tmp_path / "card"),
        "--no-detect",
        *args,
    ]


def _servers_of(pid: int) -> list[int]:
    """Processes started by ``cli.with_parent`` for parent ``pid``, still alive."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"cli.with_parent" in argv and str(pid).encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_a_clean_run_prints_no_server_traceback(tmp_path: Path) -> None:
    write_good_recordings(tmp_path / "card", n=1)
    result = subprocess.run(
        _ingest(tmp_path, "--settle-s", "0"),
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 stored" in result.stdout
    assert "Traceback" not in output and "Error logging to API" not in output
    assert "database sqlite:///" in result.stderr.splitlines()[0] or "database sqlite:///" in output
    assert (tmp_path / "data" / "logs" / "prefect-server.log").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the server")
def test_kill_9_of_the_command_leaves_no_prefect_server(tmp_path: Path) -> None:
    write_good_recordings(tmp_path / "card", n=1)
    cli = subprocess.Popen(
        _ingest(tmp_path, "--settle-s", "120"),  # stays in the copy check a long while
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not _servers_of(cli.pid):
            assert cli.poll() is None, "ranawatch ingest ended before its server started"
            assert time.monotonic() < deadline, "no temporary server appeared"
            time.sleep(0.5)
        servers = _servers_of(cli.pid)
        time.sleep(3)  # the flow is running now
        cli.send_signal(signal.SIGKILL)
        cli.wait()
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in servers):
            assert time.monotonic() < deadline, f"Prefect server {servers} outlived kill -9"
            time.sleep(0.5)
    finally:
        if cli.poll() is None:
            cli.kill()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
