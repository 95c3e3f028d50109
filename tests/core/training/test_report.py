"""The report on disk: JSON, report.md and valid PNGs; two models side by side."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import DatasetError
from core.training.compare import compare_reports, write_comparison
from core.training.evaluate import evaluate_scores
from core.training.report import render_markdown, write_evaluation
from tests.model_factory import tiny_card

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    """A real PNG with something drawn in it (a blank figure compresses to a few kB)."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert len(data) > 10_000, f"{path}: {len(data)} bytes"


def _report(seed: int, noise: float = 0.15) -> dict:
    rng = np.random.default_rng(0)
    n = 120
    frog = rng.random(n) < 0.3
    entries = [
        {
            "wav": f"/clips/c{i:03d}.wav",
            "recording": f"rec{i // 6}",
            "site": ("Oak Pond", "Elm Pond")[i % 2],
            "night": f"2024-05-{1 + i // 30:02d}",
            "start_s": float(i % 6) * 10,
        }
        for i in range(n)
    ]
    noisy = np.random.default_rng(seed).normal(0, noise, n)
    score = np.clip(np.where(frog, 0.7, 0.3) + noisy, 0, 1)
    targets = np.stack([frog, ~frog], 1).astype(float)
    return evaluate_scores(entries, targets, np.stack([score, 1 - score], 1), tiny_card())


def test_write_evaluation_writes_json_markdown_and_pngs(tmp_path: Path) -> None:
    report = _report(seed=1)
    files = write_evaluation(report, tmp_path / "eval")
    assert json.loads(files.json.read_text())["counts"]["clips"] == 120
    assert_png(files.pr_curve)
    assert_png(files.histogram)
    text = files.markdown.read_text()
    for heading in (
        "## Operating points",
        "## Clips",
        "Confusion matrix",
        "## Presence per recording and per site-night",
        "## Per site",
        "## Threshold sweep: Rana draytonii",
        "## Highest-scoring clips that are not Rana draytonii",
        "## Assumptions",
    ):
        assert heading in text
    assert "![Precision-recall curve](pr_curve.png)" in text
    best = report["operating_points"]["Rana draytonii"]["best_f1"]
    assert f"| best F1 | {best['threshold']:.3f} | {best['precision']:.3f} |" in text
    assert "10 s per detection" in text
    assert "| Oak Pond |" in text and "| Elm Pond |" in text


def test_markdown_says_when_no_threshold_reaches_the_target() -> None:
    report = _report(seed=1, noise=0.6)
    report["operating_points"]["Rana draytonii"]["high_precision"] = None
    assert "No threshold reaches precision 0.9 for Rana draytonii." in render_markdown(report)


def test_comparison_side_by_side(tmp_path: Path) -> None:
    a, b = _report(seed=1, noise=0.1), _report(seed=2, noise=0.3)
    comparison = compare_reports([a, b], ["good", "noisy"])
    rows = dict((metric, values) for metric, values in comparison["rows"])
    ap = "Rana draytonii: AP"
    assert rows[ap] == [
        a["clips"]["per_label"]["Rana draytonii"]["average_precision"],
        b["clips"]["per_label"]["Rana draytonii"]["average_precision"],
    ]
    assert rows[ap][0] > rows[ap][1]
    fp = "Rana draytonii: card threshold: false positives per night"
    assert rows[fp] == [
        r["operating_points"]["Rana draytonii"]["at_threshold"]["false_positives_per_night"]
        for r in (a, b)
    ]
    assert rows["site Oak Pond: AP"][0] == a["per_site"]["Oak Pond"]["average_precision"]
    files = write_comparison([a, b], ["good", "noisy"], tmp_path / "cmp")
    assert_png(files.pr_curves)
    text = files.markdown.read_text()
    assert "| metric | good | noisy | noisy - good |" in text
    diff = rows[ap][1] - rows[ap][0]
    assert f"| {ap} | {rows[ap][0]:.3f} | {rows[ap][1]:.3f} | {diff:+.3f} |" in text
    assert [p.name for p in files.reports] == ["1-good", "2-noisy"]
    assert all((p / "report.md").is_file() for p in files.reports)


def test_comparison_refuses_different_sets() -> None:
    a, b = _report(seed=1), _report(seed=2)
    b["scores"] = b["scores"][:-1]
    with pytest.raises(DatasetError, match="same clips"):
        compare_reports([a, b], ["a", "b"])
    with pytest.raises(DatasetError, match="at least two"):
        compare_reports([a], ["a"])
