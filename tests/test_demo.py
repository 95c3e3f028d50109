"""``ranawatch demo``: the synthetic season read back, and the whole platform run on it."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from cli.main import app
from core.demo.generate import generate_season
from core.demo.season import SeasonConfig

ROOT = Path(__file__).resolve().parents[1]
SMALL = SeasonConfig(nights=2, hours_after_sunset=1.0, recording_s=20.0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_inspect_reads_the_generated_files_with_their_metadata(tmp_path: Path) -> None:
    season = generate_season(tmp_path, SMALL)
    result = CliRunner().invoke(app, ["inspect", "--json", str(tmp_path)])
    assert result.exit_code == 0, result.output
    read = {
        Path(line["path"]).relative_to(tmp_path).as_posix(): line
        for line in map(json.loads, result.stdout.splitlines())
    }
    expected = list(csv.DictReader((tmp_path / "recordings.csv").open()))
    assert len(read) == len(expected) == len(season.files)
    for row in expected:
        got = read[row["file"]]
        assert got["ok"] and got["recorder"] == "AudioMoth"
        assert got["device_serial"] == row["device_serial"]
        assert got["recorded_at"] == row["recorded_at"]
        assert got["utc_offset"] == "-08:00"
        assert got["temperature_c"] == pytest.approx(float(row["temperature_c"]), abs=0.05)
        assert got["battery_v"] == pytest.approx(float(row["battery_v"]), abs=0.051)
        assert got["duration_s"] == pytest.approx(float(row["audio_s"]), abs=0.01)
        assert got["conflicts"] == []
        if row["truncated"] == "False":
            assert got["guano"]["Loc Position"].count(".") == 2


# ---------------------------------------------------------------- the whole demo, end to end


@pytest.fixture(scope="session")
def demo_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo model, trained once for the session by RanaWatch's training code."""
    from core.demo.model import ensure_demo_model

    folder = tmp_path_factory.mktemp("demo-model")
    ensure_demo_model(folder)
    return folder


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _callback_body(callback: dict, values: dict[str, object]) -> dict:
    # The request a browser sends for one callback of /_dash-dependencies.
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in callback["output"].strip(".").split("...")
    ]
    inputs = [dict(i, value=values.get(f"{i['id']}.{i['property']}")) for i in callback["inputs"]]
    return {
        "output": callback["output"],
        "outputs": outputs if callback["output"].startswith("..") else outputs[0],
        "inputs": inputs,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in callback["inputs"][:1]],
        "state": [],
    }


def _find_site_chooser(node: object, sites: set[str]) -> dict | None:
    # The control whose options are the demo's sites (wherever a page puts it).
    if isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props, dict) and set(props.get("options") or []) == sites:
            return props
        return next((found for v in node.values() if (found := _find_site_chooser(v, sites))), None)
    if isinstance(node, list):
        return next((found for v in node if (found := _find_site_chooser(v, sites))), None)
    return None


def _wait_for_line(proc: subprocess.Popen, prefix: str, timeout_s: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"no {prefix!r} line; output so far:\n{''.join(lines)}")


@pytest.mark.slow
def test_demo_recovers_the_planted_calls_reports_and_serves_them(
    tmp_path: Path, demo_model_dir: Path
) -> None:
    from core.demo.evaluate import score_events
    from core.demo.generate import read_ground_truth
    from db import crud
    from db.session import get_engine, session_scope

    shutil.copytree(demo_model_dir, tmp_path / "data" / "demo" / "model")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RANAWATCH_", "PREFECT_"))}
    env |= {
        "RANAWATCH_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "cli.main", "demo", "--nights", "2", "--hours", "2"]
    proc = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C must reach the demo even when the tests themselves run in the background
        # (a shell starts background jobs with SIGINT ignored, and children inherit that).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        printed = "".join(_wait_for_line(proc, "Dashboard: http", 900))
        demo = tmp_path / "data" / "demo"
        # Recall and precision recomputed here from the database and the ground truth.
        truth = [
            (row["file"], float(row["start_s"]), float(row["end_s"]))
            for row in read_ground_truth(demo / "audio" / "ground_truth.csv")
        ]
        url = f"sqlite:///{demo / 'ranawatch.db'}"
        audio = (demo / "audio").resolve()
        with session_scope(get_engine(url)) as session:
            found = [
                (Path(rec.path).resolve().relative_to(audio).as_posix(), det.start_s, det.end_s)
                for det, rec, version, _site in crud.list_detections(session=session)
                if f"{version.name}:{version.version}" == "AST_demo_synthetic:0.1"
            ]
            sites = {row[1] for row in crud.list_recordings(session=session)}
        score = score_events(truth, found)
        assert score.calls >= 10
        assert f"event recall {score.recall:.2f}" in printed
        assert f"precision {score.precision:.2f}" in printed
        workbooks = sorted((demo / "reports").rglob("*.xlsx"))
        assert len(workbooks) == 3
        assert "AST_demo_synthetic:0.1" in str(
            next(
                openpyxl.load_workbook(workbooks[0])["Results"].iter_rows(
                    values_only=True, min_row=2
                )
            )
        )

        base = f"http://127.0.0.1:{port}"
        callbacks = json.loads(urllib.request.urlopen(f"{base}/_dash-dependencies").read())
        shell = json.loads(urllib.request.urlopen(f"{base}/_dash-layout").read())
        chooser = _find_site_chooser(shell, sites)
        if chooser is None:  # not in the shell: on the first page
            router = next(c for c in callbacks if "_pages_content.children" in c["output"])
            paths = {"_pages_location.pathname": "/", "_pages_location.search": ""}
            page = _post(f"{base}/_dash-update-component", _callback_body(router, paths))
            chooser = _find_site_chooser(page, sites)
        assert chooser is not None, "the dashboard offers the demo's sites"
        site = sorted(sites)[0]
        value = [site] if chooser.get("multi") else site
        key = f"{chooser['id']}.value"
        # The views that take the site (and the shared date range, and the auto-refresh
        # timer's ticks) alone.
        views = [
            c
            for c in callbacks
            if any(f"{i['id']}.{i['property']}" == key for i in c["inputs"])
            and all(
                f"{i['id']}.{i['property']}" == key
                or i["property"] in {"start_date", "end_date", "n_intervals"}
                for i in c["inputs"]
            )
        ]
        answers = []
        for view in views:
            try:
                answer = _post(f"{base}/_dash-update-component", _callback_body(view, {key: value}))
            except urllib.error.HTTPError:
                continue
            answers.append(json.dumps(answer))
        assert answers, "the dashboard answers for the demo's site"
        answer = " ".join(answers)
        files = list(csv.DictReader((demo / "audio" / "recordings.csv").open()))
        # Figures travel as binary arrays, so look for what is sent as text: the site's
        # recorders (device chooser, map) and the time of its last call (map hover).
        devices = {row["device_serial"] for row in files if row["site"] == site}
        assert devices and all(serial in answer for serial in devices), "the site's devices"
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", answer), "the site's last call"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    # The Prefect server and the flows stay quiet (the dashboard may log the test's requests).
    assert "Error logging to API" not in err and "prefect.exceptions" not in err, err[-3000:]

    # Run again: everything is there, so it only serves (a quick check with --no-serve):
    # nothing is generated, trained or ingested again.
    again = subprocess.run(
        [*command, "--no-serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Traceback" not in again.stderr, again.stderr[-3000:]
    assert "event recall" in again.stdout and "ingesting" not in again.stdout + again.stderr

    # What the demo is for: the planted calls found, few false events.
    assert score.recall >= 0.9 and score.precision >= 0.8, score
