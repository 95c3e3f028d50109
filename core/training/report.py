"""An evaluation report on disk: the JSON, a Markdown summary, and its two figures.

:func:`write_evaluation` writes, into one folder::

    evaluation.json       everything :func:`core.training.evaluate.evaluate_scores` computed
    report.md             operating points, per-clip metrics, confusion matrix, presence per
                          recording and site-night, per site, threshold table, the
                          highest-scoring false positives, and the assumptions
    pr_curve.png          precision-recall curve per positive label, operating points marked
    score_histogram.png   scores of positive against other clips, thresholds marked
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.training.figures import plot_pr_curves, plot_score_histograms
from core.training.sweep import point_at

logger = logging.getLogger(__name__)

PR_CURVE_PNG, HISTOGRAM_PNG, REPORT_MD = "pr_curve.png", "score_histogram.png", "report.md"
TEST_METRICS_JSON = "test_metrics.json"  # the JSON's name in a training run folder
_FALSE_POSITIVES_LISTED = 10


@dataclass(frozen=True)
class ReportFiles:
    """The files :func:`write_evaluation` wrote."""

    json: Path
    markdown: Path
    pr_curve: Path
    histogram: Path


def fmt(value: float | int | None, digits: int = 3) -> str:
    """A metric for a table: ``-`` when undefined, integers as they are."""
    if value is None:
        return "-"
    if isinstance(value, int | np.integer):
        return str(value)
    return f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (cells as given; ``|`` escaped)."""

    def line(cells: Sequence[object]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *map(line, rows)])


def model_title(report: dict) -> str:
    """``NAME VERSION`` of the evaluated model."""
    return f"{report['model']['name']} {report['model']['version']}"


def point_row(name: str, point: dict | None) -> list[str]:
    """One operating point as a table row (see :data:`POINT_HEADERS`)."""
    if point is None:
        return [name, *["-"] * (len(POINT_HEADERS) - 1)]
    keys = (
        "threshold",
        "precision",
        "recall",
        "f1",
        "detections",
        "false_positives",
        "false_positives_per_night",
        "false_positive_review_min_per_night",
        "review_min_per_night",
    )
    return [name, *(fmt(point[k]) for k in keys)]


POINT_HEADERS = (
    "point",
    "threshold",
    "precision",
    "recall",
    "F1",
    "detections",
    "false positives",
    "FP per night",
    "FP review min per night",
    "review min per night (all detections)",
)


def _label_scores(report: dict, label: str) -> tuple[np.ndarray, np.ndarray]:
    i = report["model"]["labels"].index(label)
    y = np.array([label in clip["labels"] for clip in report["scores"]], dtype=bool)
    s = np.array([clip["scores"][i] for clip in report["scores"]], dtype=float)
    return y, s


def _operating_points(report: dict) -> list[str]:
    target = report["settings"]["target_precision"]
    out = ["## Operating points", ""]
    if not report["operating_points"]:
        out += [
            "No clip of a positive label in the set: AP, sweeps and operating points are "
            "undefined.",
            "",
        ]
    for label, points in report["operating_points"].items():
        rows = [
            point_row(f"card threshold ({report['model']['rule']} rule)", points["at_threshold"]),
            point_row("best F1", points["best_f1"]),
            point_row(f"high precision (>= {target:g})", points["high_precision"]),
        ]
        out += [f"**{label}**", "", table(POINT_HEADERS, rows), ""]
        if points["high_precision"] is None:
            out += [f"No threshold reaches precision {target:g} for {label}.", ""]
    return out


def _clips(report: dict) -> list[str]:
    clips, cm = report["clips"], report["confusion"]
    headers = ("label", "clips", "positives", "AP", "ROC AUC", "threshold", "precision")
    headers += ("recall", "F1", "TP", "FP", "FN", "TN")
    keys = ("clips", "positives", "average_precision", "roc_auc")
    rows = [
        [label, *(fmt(m[k]) for k in keys), fmt(report["settings"]["thresholds"][label])]
        + [fmt(m[k]) for k in ("precision", "recall", "f1", "true_positives")]
        + [fmt(m[k]) for k in ("false_positives", "false_negatives", "true_negatives")]
        for label, m in clips["per_label"].items()
    ]
    matrix = [[f"**{true}**", *row] for true, row in zip(cm["labels"], cm["matrix"], strict=True)]
    return [
        "## Clips",
        "",
        f"Accuracy of the highest-scoring label: {fmt(clips['accuracy'])}.",
        "",
        table(headers, rows),
        "",
        "Confusion matrix of the highest-scoring label (rows: true label, columns: predicted):",
        "",
        table(["true \\ predicted", *cm["labels"]], matrix),
        "",
    ]


def _presence(report: dict) -> list[str]:
    headers = ("level", "groups", "label", "positives", "AP", "ROC AUC", "precision")
    headers += ("recall", "F1", "false positives")
    rows = []
    for level, key in (("recording", "recordings"), ("site-night", "nights")):
        metrics = report[key]
        if metrics is None:
            continue
        for label in report["model"]["positive_labels"]:
            m = metrics["per_label"][label]
            keys = ("positives", "average_precision", "roc_auc", "precision", "recall", "f1")
            rows.append([level, metrics["clips"], label, *(fmt(m[k]) for k in keys)])
            rows[-1].append(fmt(m["false_positives"]))
    out = ["## Presence per recording and per site-night", ""]
    out.append(
        "A recording or site-night is positive when any of its clips is; its score is the "
        "highest clip score."
    )
    if not rows:
        return [*out, "", "The set names no recordings or nights.", ""]
    return [*out, "", table(headers, rows), ""]


def _per_site(report: dict) -> list[str]:
    rows = [
        [site, m["clips"], *(fmt(m[k]) for k in ("average_precision", "roc_auc"))]
        + [fmt(m[k]) for k in ("precision", "recall", "f1")]
        for site, m in report["per_site"].items()
    ]
    headers = ("site", "clips", "AP", "ROC AUC", "precision", "recall", "F1")
    return ["## Per site", "", table(headers, rows), ""]


def _sweep_tables(report: dict) -> list[str]:
    nights = report["counts"]["site_nights"] or None
    review_s = report["settings"]["review_s_per_detection"]
    out = []
    for label in report["operating_points"]:
        y, s = _label_scores(report, label)
        rows = [
            point_row(f"{t:g}", point_at(y, s, t, nights=nights, review_s=review_s))[1:]
            for t in report["settings"]["report_thresholds"]
        ]
        out += [f"## Threshold sweep: {label}", "", table(POINT_HEADERS[1:], rows), ""]
        out += [
            f"Every distinct score as a threshold: `sweeps[{label!r}]` in the JSON.",
            "",
        ]
    return out


def _false_positives(report: dict) -> list[str]:
    out = []
    for label in report["operating_points"]:
        y, s = _label_scores(report, label)
        worst = [i for i in np.argsort(-s, kind="mergesort") if not y[i]]
        rows = [
            [fmt(float(s[i])), Path(c["wav"]).name, c["recording"], c["site"] or "-"]
            + [c["night"] or "-", fmt(c["start_s"], 1), ", ".join(c["labels"]) or "-"]
            for i in worst[:_FALSE_POSITIVES_LISTED]
            for c in [report["scores"][i]]
        ]
        headers = ("score", "clip", "recording", "site", "night", "start s", "true labels")
        out += [f"## Highest-scoring clips that are not {label}", ""]
        out += [table(headers, rows) if rows else "None.", ""]
    return out


def render_markdown(report: dict) -> str:
    """The Markdown report of an evaluation (figures referenced beside it)."""
    counts, model = report["counts"], report["model"]
    sha = (model["sha256"] or "not pinned")[:12]
    head = [
        f"# Evaluation: {model_title(report)}",
        "",
        f"Model `{model['name']}` version `{model['version']}` (checkpoint SHA-256 `{sha}`), "
        f"{model['rule']} rule, on `{report.get('datafile', '-')}`: {counts['clips']} clips, "
        f"{counts['recordings']} recordings, {counts['sites']} sites, "
        f"{counts['site_nights']} site-nights ({counts['clips_without_night']} clips without "
        "a night).",
        "",
        f"![Precision-recall curve]({PR_CURVE_PNG})",
        "",
        f"![Score histogram]({HISTOGRAM_PNG})",
        "",
    ]
    assumptions = ["## Assumptions", "", *(f"- {a}" for a in report["settings"]["assumptions"])]
    parts = (
        head,
        _operating_points(report),
        _clips(report),
        _presence(report),
        _per_site(report),
        _sweep_tables(report),
        _false_positives(report),
        assumptions,
    )
    return "\n".join(line for part in parts for line in part) + "\n"


def write_evaluation(
    report: dict, out_dir: str | Path, *, json_name: str = "evaluation.json"
) -> ReportFiles:
    """Write the JSON, ``report.md`` and the two PNGs of an evaluation into ``out_dir``.

    Raises
    ------
    OSError
        The folder cannot be written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    title = model_title(report)
    files = ReportFiles(
        json=out / json_name,
        markdown=out / REPORT_MD,
        pr_curve=plot_pr_curves([report], [title], out / PR_CURVE_PNG, title=title),
        histogram=plot_score_histograms(report, out / HISTOGRAM_PNG, title=title),
    )
    files.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    files.markdown.write_text(render_markdown(report), encoding="utf-8")
    logger.info("evaluation report in %s", out)
    return files
