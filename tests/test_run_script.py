"""The README's main command, ``scripts/run.sh``, does the whole job on a fresh data folder."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.flows.helpers import write_broken_recordings, write_good_recordings
from tests.model_factory import tiny_card, tiny_model, write_card, write_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("RANAWATCH_", "PREFECT_"))}
    environ |= {
        "RANAWATCH_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **env,
    }
    return subprocess.run(
        [str(ROOT / "scripts" / "run.sh"), *args],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_main_job_ingests_scores_and_reports(tmp_path: Path) -> None:
    audio = tmp_path / "card"
    good = write_good_recordings(audio, n=2, seconds=12.0)
    broken = write_broken_recordings(audio)
    checkpoint = write_checkpoint(tmp_path / "tiny.pth", tiny_model())
    card = write_card(tmp_path / "tiny.yaml", tiny_card())

    done = _run(
        tmp_path,
        "--site",
        "Laguna Pond",
        str(audio),
        RANAWATCH_CHECKPOINT=str(checkpoint),
        RANAWATCH_MODEL_CARD=str(card),
    )

    assert done.returncode == 0, done.stderr[-3000:]
    workbook = tmp_path / "data" / "reports" / "Laguna_Pond" / "Laguna_Pond.xlsx"
    sheet = openpyxl.load_workbook(workbook)["Results"]
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {p.stem for p in good} <= names
    assert _statuses(tmp_path, good) == {"done"}
    assert _statuses(tmp_path, broken.values()) == {"failed"}


def _statuses(tmp_path: Path, paths: object) -> set[str]:
    listing = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ranawatch"), "list", "recordings", "--json"],
        cwd=tmp_path,
        env={**os.environ, "RANAWATCH_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        check=True,
    )
    status = {row["path"]: row["status"] for row in map(json.loads, listing.stdout.splitlines())}
    return {status[str(p)] for p in paths}


@pytest.mark.slow
def test_main_job_without_checkpoint_stores_and_says_why(tmp_path: Path) -> None:
    audio = tmp_path / "card"
    good = write_good_recordings(audio, n=1, seconds=3.0)

    done = _run(tmp_path, str(audio))

    assert done.returncode == 0, done.stderr[-3000:]
    assert "not scored: no model checkpoint is configured" in done.stderr
    assert "export RANAWATCH_CHECKPOINT=/path/to/best_audio_model1.pth" in done.stderr
    assert _statuses(tmp_path, good) == {"pending"}
    assert not (tmp_path / "data" / "reports").exists()


def test_demo_options_with_folders_are_refused(tmp_path: Path) -> None:
    # Checked before setup, so this is quick.
    done = _run(tmp_path, "--no-serve", str(tmp_path))
    assert done.returncode == 2
    assert "demo option" in done.stderr
