"""Shared fixtures: the real recordings in ../shared/realaudio and CI policy."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REALAUDIO = (ROOT / ".." / "shared" / "realaudio").resolve()
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing(resource: str) -> None:
    """Skip a test for a missing external resource, or fail when running under CI."""
    if IN_CI:
        pytest.fail(f"{resource} is required under CI=true but is missing")
    pytest.skip(f"{resource} is not available on this machine")


@pytest.fixture(scope="session")
def realaudio_dir() -> Path:
    """The folder of real recordings (never copied into the repository)."""
    if not (REALAUDIO / "MANIFEST.tsv").is_file():
        _missing(f"real recordings folder {REALAUDIO}")
    return REALAUDIO


@pytest.fixture(scope="session")
def manifest(realaudio_dir: Path) -> dict[str, dict[str, str]]:
    """MANIFEST.tsv of the real recordings, keyed by file name."""
    with (realaudio_dir / "MANIFEST.tsv").open(newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}
