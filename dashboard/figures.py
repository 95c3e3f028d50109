"""The look the dashboard's figures share and the helpers that build them: the palette, the
template and layout, :func:`figure` (plain dicts, built unchecked for speed), the empty figure
that says why there is nothing, subplots stacked on one date axis, and nights with their gaps.
Time axes are true date axes: every bar is one night wide, so two nights years apart read as
two nights, not as a season. The figures themselves, pure functions from DataFrames to
``go.Figure``, are in ``figures_activity.py``, ``figures_temperature.py``,
``figures_devices.py``, ``figures_models.py`` and ``figures_audio.py``.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import plotly.graph_objects as go

# Okabe-Ito colours (safe for colour-blind readers).
PALETTE = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
EFFORT_COLOUR = "#BBBBBB"
CALLS_COLOUR = "#009E73"
DAY_MS = 86_400_000
NIGHT_AXIS_TITLE = "Night (evening date, local time)"
_AXIS = {
    "gridcolor": "#EBF0F8",
    "linecolor": "#EBF0F8",
    "zerolinecolor": "#EBF0F8",
    "zerolinewidth": 2,
    "ticks": "",
    "automargin": True,
    "title": {"standoff": 15},
}
# The look of plotly's "plotly_white" in the few settings these figures use: a template
# this small is copied into each figure in well under a millisecond; the named one, with
# every trace type's defaults, takes tens (most of a small figure's time).
TEMPLATE = go.layout.Template(
    layout={
        "font": {"color": "#2a3f5f"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(PALETTE),
        "hoverlabel": {"align": "left"},
        "hovermode": "closest",
        "xaxis": _AXIS,
        "yaxis": _AXIS,
    }
)
LAYOUT = {
    "template": TEMPLATE,
    "margin": {"l": 60, "r": 20, "t": 90, "b": 50},
    "title": {"y": 0.97, "yanchor": "top", "x": 0.01},
    "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
}
# Figures with subplot titles keep their legend at the side, clear of the titles.
SIDE_LEGEND = {"orientation": "v", "x": 1.01, "y": 1, "xanchor": "left", "yanchor": "top"}


def figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure of plain trace and layout dicts, built without plotly's check of every
    property on the way in: a season's traces took tens of milliseconds a figure to check,
    which is what plotly.js is sent unchanged. Named colour scales must be given as lists
    (plotly.js reverses some names); the tests build every figure checked as well and
    compare the two."""
    return go.Figure(data=data, layout=layout, _validate=False)


def colour_of(index: int) -> str:
    """The ``index``-th colour of the palette (cycling)."""
    return PALETTE[index % len(PALETTE)]


def empty_figure(message: str, title: str = "") -> go.Figure:
    """A figure with no axes and ``message`` in the middle (nothing to show, and why)."""
    note = {"text": message, "showarrow": False, "xref": "paper", "yref": "paper"}
    return figure(
        [],
        LAYOUT
        | {
            "title": LAYOUT["title"] | {"text": title},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [note | {"x": 0.5, "y": 0.5, "font": {"size": 15}}],
        },
    )


def stacked_layout(titles: tuple[str, ...], heights: tuple[float, ...], gap: float) -> dict:
    """The layout of subplots stacked on one shared date axis (top to bottom), as
    ``make_subplots(shared_xaxes=True)`` builds it, without its cost: row ``i`` (from 1)
    draws on ``xaxis{i}``/``yaxis{i}`` (``x``/``y`` for the first); ``titles`` sit above
    each row."""
    total = 1.0 - gap * (len(heights) - 1)
    scale = total / sum(heights)
    layout: dict = {"annotations": []}
    top = 1.0
    last = len(heights)
    for row, (title, height) in enumerate(zip(titles, heights, strict=True), start=1):
        bottom = max(0.0, top - height * scale)
        suffix = "" if row == 1 else str(row)
        layout[f"xaxis{suffix}"] = {
            "anchor": f"y{suffix}",
            "domain": [0.0, 1.0],
            "type": "date",
            "matches": None if row == last else f"x{last}",
            "showticklabels": row == last,
        }
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": [bottom, top]}
        layout["annotations"].append(
            {
                "text": title,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": top,
                "xanchor": "center",
                "yanchor": "bottom",
                "font": {"size": 16},
            }
        )
        top = bottom - gap
    return layout


def axis_ref(row: int) -> dict[str, str]:
    """``xaxis``/``yaxis`` of a trace on row ``row`` of :func:`stacked_layout`."""
    suffix = "" if row == 1 else str(row)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def with_gaps(x: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """``x`` (nights as datetime64, sorted) and ``columns`` with a NaN point inserted the
    day after every night not followed by the next: a line breaks there instead of being
    drawn across nights without audio."""
    if len(x) < 2:
        return (x, *columns)
    after = np.flatnonzero(np.diff(x) > np.timedelta64(1, "D")) + 1
    filled = [np.insert(x, after, x[after - 1] + np.timedelta64(1, "D"))]
    for column in columns:
        filled.append(np.insert(column.astype(float), after, np.nan, axis=0))
    return tuple(filled)


def all_nights(first: date, last: date) -> list[date]:
    """Every night from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]
