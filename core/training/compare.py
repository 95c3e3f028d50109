"""Two (or more) models on the same labelled set, side by side.

:func:`compare_reports` lines up the evaluation reports of several models on one datafile:
AP and ROC AUC, and per positive label the precision, recall and false positives per night
at each card's threshold, the best-F1 and high-precision points, presence per site-night,
and AP per site. :func:`write_comparison` writes it as ``comparison.json`` and
``comparison.md``, both precision-recall curves in one ``pr_curves.png``, and each model's
full report in a folder of its own.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import DatasetError
from core.training.figures import plot_pr_curves
from core.training.report import fmt, table, write_evaluation

logger = logging.getLogger(__name__)

COMPARISON_JSON, COMPARISON_MD, COMPARISON_PNG = "comparison.json", "comparison.md", "pr_curves.png"


@dataclass(frozen=True)
class ComparisonFiles:
    """The files :func:`write_comparison` wrote."""

    json: Path
    markdown: Path
    pr_curves: Path
    reports: list[Path]


def _point_rows(label: str, key: str, title: str, reports: Sequence[dict]) -> list[list]:
    def value(report: dict, field: str) -> float | None:
        point = (report["operating_points"].get(label) or {}).get(key)
        return None if point is None else point[field]

    fields = (
        ("threshold", "threshold"),
        ("precision", "precision"),
        ("recall", "recall"),
        ("F1", "f1"),
        ("false positives per night", "false_positives_per_night"),
        ("review min per night (all detections)", "review_min_per_night"),
    )
    return [[f"{label}: {title}: {name}", [value(r, f) for r in reports]] for name, f in fields]


def compare_reports(reports: Sequence[dict], names: Sequence[str]) -> dict:
    """Metric rows with one value per model (``None`` where a model lacks the metric).

    Parameters
    ----------
    reports
        Evaluation reports (:func:`core.training.evaluate.evaluate_scores`) of the same clips.
    names
        One display name per report.

    Returns
    -------
    dict
        ``models`` (name, model, version, sha256), ``clips``, ``datafile``, ``settings`` and
        ``rows``: ``[metric, [value per model]]``.

    Raises
    ------
    DatasetError
        The reports are not of the same clips, or there are fewer than two.
    """
    if len(reports) < 2:
        raise DatasetError("a comparison needs at least two models")
    clips = [[c["wav"] for c in r["scores"]] for r in reports]
    if any(c != clips[0] for c in clips[1:]):
        raise DatasetError(
            "the reports are not of the same clips: evaluate every model on one datafile"
        )
    labels = list(dict.fromkeys(lab for r in reports for lab in r["operating_points"]))
    sites = sorted({site for r in reports for site in r["per_site"]})

    def per_label(report: dict, label: str, field: str, level: str = "clips") -> float | None:
        metrics = report[level]
        found = metrics and metrics["per_label"].get(label)
        return found[field] if found else None

    rows: list[list] = [
        ["AP (mean over positive labels)", [r["clips"]["average_precision"] for r in reports]],
        ["ROC AUC (mean over positive labels)", [r["clips"]["roc_auc"] for r in reports]],
        ["accuracy (highest-scoring label)", [r["clips"]["accuracy"] for r in reports]],
    ]
    for label in labels:
        rows += [
            [f"{label}: AP", [per_label(r, label, "average_precision") for r in reports]],
            [f"{label}: ROC AUC", [per_label(r, label, "roc_auc") for r in reports]],
        ]
        rows += _point_rows(label, "at_threshold", "card threshold", reports)
        rows += _point_rows(label, "best_f1", "best F1", reports)
        rows += _point_rows(label, "high_precision", "high precision", reports)
        for field in ("precision", "recall"):
            rows.append(
                [
                    f"{label}: site-night presence {field} at card threshold",
                    [per_label(r, label, field, "nights") for r in reports],
                ]
            )
    for site in sites:
        values = [(r["per_site"].get(site) or {}).get("average_precision") for r in reports]
        rows.append([f"site {site}: AP", values])
    first = reports[0]
    return {
        "datafile": first.get("datafile"),
        "clips": len(clips[0]),
        "settings": {
            k: first["settings"][k]
            for k in ("target_precision", "review_s_per_detection", "assumptions")
        },
        "models": [
            {"display_name": name} | {k: r["model"][k] for k in ("name", "version", "sha256")}
            for name, r in zip(names, reports, strict=True)
        ],
        "rows": rows,
    }


def render_comparison(comparison: dict) -> str:
    """The Markdown table of a comparison (a difference column for two models)."""
    names = [m["display_name"] for m in comparison["models"]]
    two = len(names) == 2
    headers = ["metric", *names] + ([f"{names[1]} - {names[0]}"] if two else [])
    rows = []
    for metric, values in comparison["rows"]:
        row = [metric, *(fmt(v) for v in values)]
        if two:
            a, b = values
            row.append("-" if a is None or b is None else f"{b - a:+.3f}")
        rows.append(row)
    models = [
        f"- **{m['display_name']}**: `{m['name']}` version `{m['version']}`, checkpoint "
        f"SHA-256 `{(m['sha256'] or 'not pinned')[:12]}`"
        for m in comparison["models"]
    ]
    return "\n".join(
        [
            "# Model comparison",
            "",
            f"On `{comparison['datafile'] or '-'}` ({comparison['clips']} clips):",
            "",
            *models,
            "",
            f"![Precision-recall curves]({COMPARISON_PNG})",
            "",
            table(headers, rows),
            "",
            "## Assumptions",
            "",
            *(f"- {a}" for a in comparison["settings"]["assumptions"]),
            "",
        ]
    )


def _folder_name(index: int, name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"
    return f"{index}-{slug}"[:80]


def write_comparison(
    reports: Sequence[dict], names: Sequence[str], out_dir: str | Path
) -> ComparisonFiles:
    """Write the comparison, both PR curves in one PNG, and each model's full report.

    Raises
    ------
    DatasetError
        The reports are not of the same clips.
    OSError
        The folder cannot be written.
    """
    comparison = compare_reports(reports, names)
    clips = reports[0]["scores"]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    folders = [
        write_evaluation(r, out / _folder_name(i, n)).markdown.parent
        for i, (r, n) in enumerate(zip(reports, names, strict=True), start=1)
    ]
    files = ComparisonFiles(
        json=out / COMPARISON_JSON,
        markdown=out / COMPARISON_MD,
        pr_curves=plot_pr_curves(
            reports, names, out / COMPARISON_PNG, title=f"precision-recall on {len(clips)} clips"
        ),
        reports=folders,
    )
    files.json.write_text(json.dumps(comparison, indent=1), encoding="utf-8")
    files.markdown.write_text(render_comparison(comparison), encoding="utf-8")
    logger.info("comparison in %s", out)
    return files
