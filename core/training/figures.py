"""The figures of an evaluation report: precision-recall curves and score histograms (PNG).

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global
state), imported inside the functions so that nothing else pays for loading matplotlib.
Each function takes the report dict of :func:`core.training.evaluate.evaluate_scores`
(or several, to compare models) and writes one PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

_DPI = 110
_LINEAR_UP_TO = 30  # clips in the fullest histogram bin beyond which the count axis is log
# a hollow square around, a star on top: points that coincide stay visible
_POINT_STYLE = {
    "high_precision": ("s", "high precision"),
    "at_threshold": ("o", "at threshold"),
    "best_f1": ("*", "best F1"),
}
_MARKER = {
    "high_precision": {"ms": 14, "mfc": "none", "mew": 1.5},
    "at_threshold": {"ms": 8},
    "best_f1": {"ms": 11, "mec": "white"},
}


def _new_figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def plot_pr_curves(
    reports: Sequence[dict], names: Sequence[str], path: str | Path, *, title: str
) -> Path:
    """Precision against recall of every positive label of every report, in one PNG.

    The operating points (at the card's threshold, best F1, high precision) are marked on
    each curve; the target precision is a dotted line. ``names`` label the reports (one
    model: its name; a comparison: one name per model).
    """
    fig = _new_figure(6.4, 4.8)
    ax = fig.add_subplot()
    colours = iter(f"C{i}" for i in range(100))
    for report, name in zip(reports, names, strict=True):
        for label, curve in report["pr_curves"].items():
            colour = next(colours)
            ap = report["clips"]["per_label"][label]["average_precision"]
            tag = f"{name}: {label}" if len(reports) > 1 else label
            ax.step(
                curve["recall"],
                curve["precision"],
                where="post",
                color=colour,
                label=f"{tag} (AP {ap:.3f})",
            )
            for key, (marker, _) in _POINT_STYLE.items():
                point = report["operating_points"][label].get(key)
                if point and point["recall"] is not None and point["precision"] is not None:
                    ax.plot(
                        point["recall"], point["precision"], marker, color=colour, **_MARKER[key]
                    )
    target = reports[0]["settings"]["target_precision"]
    ax.axhline(target, color="grey", ls=":", lw=1, label=f"target precision {target:g}")
    for key, (marker, text) in _POINT_STYLE.items():
        ax.plot([], [], marker, color="black", ls="none", label=text, **_MARKER[key])
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.05), title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    return _save(fig, path)


def plot_score_histograms(report: dict, path: str | Path, *, title: str) -> Path:
    """Per positive label, the scores of its positive clips against those of the others.

    A well-separated model puts the positives near 1 and the negatives near 0; the card's
    threshold and the two operating points are vertical lines.
    """
    from matplotlib.ticker import ScalarFormatter

    labels = list(report["pr_curves"]) or list(report["model"]["positive_labels"])
    fig = _new_figure(6.4, 2.6 * max(1, len(labels)) + 0.4)
    axes = fig.subplots(max(1, len(labels)), 1, squeeze=False)[:, 0]
    columns = report["model"]["labels"]
    bins = np.linspace(0, 1, 41)
    for ax, label in zip(axes, labels, strict=False):
        i = columns.index(label)
        scores = np.array([clip["scores"][i] for clip in report["scores"]], dtype=float)
        hit = np.array([label in clip["labels"] for clip in report["scores"]], dtype=bool)
        ax.hist(scores[~hit], bins=bins, alpha=0.6, color="C0", label=f"other ({(~hit).sum()})")
        ax.hist(scores[hit], bins=bins, alpha=0.6, color="C3", label=f"{label} ({hit.sum()})")
        points = report["operating_points"].get(label, {})
        lines = (("at_threshold", "k", "-"), ("high_precision", "C4", ":"), ("best_f1", "C2", "--"))
        for key, colour, style in lines:
            if points.get(key):
                threshold = points[key]["threshold"]
                name = _POINT_STYLE[key][1]
                ax.axvline(threshold, color=colour, ls=style, label=f"{name} ({threshold:.3f})")
        ax.set(xlabel=f"score of {label}", ylabel="clips", xlim=(0, 1))
        if np.histogram(scores, bins)[0].max() > _LINEAR_UP_TO:
            # a few positives stay visible beside thousands of negatives
            ax.set_yscale("symlog", linthresh=1)
            ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.legend(fontsize="small")
    axes[0].set_title(title)
    return _save(fig, path)
