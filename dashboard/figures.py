"""Figures of the dashboard: pure functions from DataFrames to ``go.Figure``.

Effort comes first: an absence of calls means something only where there was audio to hear
them in, so calls are shown as a share of the audio recorded that night, and the audio itself
is its own trace (a night without audio is a gap, not a zero). Time axes are true date axes:
every bar is one night wide, so two nights years apart read as two nights, not as a season.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

# Okabe-Ito colours (safe for colour-blind readers).
PALETTE = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
EFFORT_COLOUR = "#BBBBBB"
CALLS_COLOUR = "#009E73"
DAY_MS = 86_400_000
NIGHT_AXIS_TITLE = "Night (evening date, local time)"
# Hours of a night in order, evening first.
NIGHT_HOURS: tuple[int, ...] = tuple(range(12, 24)) + tuple(range(12))
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


def calls_per_night(nightly: pd.DataFrame) -> go.Figure:
    """Call activity per night and site (top) over the audio recorded (bottom).

    Parameters
    ----------
    nightly
        :func:`db.dashboard_activity.nightly_activity`: ``site``, ``night``, ``minutes_recorded``,
        ``minutes_with_calls``, ``events`` (one row per site and night with audio).

    Returns
    -------
    plotly.graph_objects.Figure
        Top: share of the recorded minutes with calls (%), one marker per night with audio,
        lines only between consecutive nights. Bottom: minutes recorded, a bar one night wide
        per site (stacked), so nights without audio are visible gaps.
    """
    if nightly.empty:
        return empty_figure("No recordings of known time in this range", "Calls per night")
    traces: list = []
    # One pass over the frame sorted by site and night, cut into sites (rows without a
    # site are in the audio total only).
    named = nightly[nightly["site"].notna()].sort_values(["site", "night"], kind="stable")
    sites = named["site"].astype(str).to_numpy()
    starts = np.flatnonzero(np.r_[True, sites[1:] != sites[:-1]]) if len(sites) else []
    ends = np.r_[starts[1:], len(sites)] if len(sites) else []
    all_nights_ns = pd.to_datetime(named["night"]).to_numpy(dtype="datetime64[ns]")
    all_numbers = named[["minutes_with_calls", "minutes_recorded", "events"]].to_numpy(float)
    # More sites than colours: their audio is one total per night (25 stacked bars in 8
    # repeating colours read as noise, and cost a trace each).
    per_site_effort = len(starts) <= len(PALETTE)
    if not per_site_effort:
        total = nightly.groupby("night", sort=True).agg(
            minutes_recorded=("minutes_recorded", "sum"), sites=("site", "nunique")
        )
        traces.append(
            dict(
                type="bar",
                x=pd.to_datetime(total.index).to_numpy(dtype="datetime64[ns]"),
                y=total["minutes_recorded"].to_numpy(dtype=float),
                customdata=total["sites"].to_numpy(dtype=float),
                width=0.8 * DAY_MS,
                name="Audio recorded (all sites)",
                marker={"color": EFFORT_COLOUR},
                hovertemplate="%{x|%d %b %Y}: %{y:.0f} min recorded at %{customdata:.0f} "
                "sites<extra></extra>",
                **axis_ref(2),
            )
        )
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        site = sites[a]
        nights, numbers = all_nights_ns[a:b], all_numbers[a:b]
        recorded = numbers[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(recorded > 0, 100.0 * numbers[:, 0] / recorded, np.nan)
        x, y, custom = with_gaps(nights, share, numbers)
        colour = colour_of(i)
        traces.append(
            dict(
                type="scatter",
                x=x,
                y=y,
                name=site,
                legendgroup=site,
                mode="lines+markers",
                line={"color": colour, "width": 1.5},
                marker={"size": 6, "color": colour},
                customdata=custom,
                hovertemplate=(
                    "%{x|%d %b %Y}<br>%{y:.1f}% of recorded minutes with calls<br>"
                    "%{customdata[0]:.1f} of %{customdata[1]:.1f} min, %{customdata[2]:.0f} "
                    f"events<extra>{site}</extra>"
                ),
                **axis_ref(1),
            )
        )
        if not per_site_effort:
            continue
        traces.append(
            dict(
                type="bar",
                x=nights,
                y=recorded,
                width=0.8 * DAY_MS,
                name=f"{site} (audio)",
                legendgroup=site,
                showlegend=False,
                marker={"color": colour},
                opacity=0.45,
                hovertemplate=f"%{{x|%d %b %Y}}: %{{y:.0f}} min recorded<extra>{site}</extra>",
                **axis_ref(2),
            )
        )
    first, last = min(nightly["night"]), max(nightly["night"])
    pad = timedelta(days=1)
    layout = stacked_layout(
        ("Share of recorded minutes with calls", "Audio recorded (effort)"), (0.62, 0.38), 0.1
    )
    for axis in ("xaxis", "xaxis2"):
        layout[axis]["range"] = [first - pad, last + pad]
    layout["xaxis2"]["title"] = {"text": NIGHT_AXIS_TITLE}
    layout["yaxis"] |= {"title": {"text": "% with calls"}, "rangemode": "tozero"}
    layout["yaxis2"] |= {"title": {"text": "Minutes"}, "rangemode": "tozero"}
    return figure(
        traces,
        LAYOUT
        | layout
        | {
            "barmode": "stack",
            "hovermode": "closest",
            "title": LAYOUT["title"] | {"text": "Calls per night"},
            "legend": SIDE_LEGEND,
            "margin": {"l": 60, "r": 20, "t": 70, "b": 50},
        },
    )


def night_heatmap(hourly: pd.DataFrame) -> go.Figure:
    """Hour of night x night: share of recorded minutes with calls; blank where no audio.

    Parameters
    ----------
    hourly
        :func:`db.dashboard_activity.hourly_activity`: ``night``, ``hour``, ``minutes_recorded``,
        ``minutes_with_calls``.
    """
    title = "When calling happens (hour of night, local time)"
    if hourly.empty:
        return empty_figure("No recordings of known time in this range", title)
    nights = all_nights(min(hourly["night"]), max(hourly["night"]))
    # Only the hours the recorders cover, in night order (evening first).
    present = set(hourly["hour"])
    hours = [h for h in NIGHT_HOURS if h in present]
    recorded = hourly["minutes_recorded"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            recorded > 0,
            100.0 * hourly["minutes_with_calls"].to_numpy(dtype=float) / recorded,
            np.nan,
        )
    # One cell per night and hour (the rows are one per night and hour).
    grid = np.full((len(hours), len(nights)), np.nan)
    row = {h: i for i, h in enumerate(hours)}
    first = nights[0].toordinal()
    rows = np.fromiter((row[h] for h in hourly["hour"]), dtype=int, count=len(hourly))
    columns = np.fromiter(
        (n.toordinal() - first for n in hourly["night"]), dtype=int, count=len(hourly)
    )
    grid[rows, columns] = share
    top = float(np.nanmax(grid)) if np.isfinite(grid).any() else 0.0
    heat = {
        "type": "heatmap",
        "x": pd.to_datetime(nights).to_numpy(dtype="datetime64[ns]"),
        "y": [f"{h:02d}:00" for h in hours],
        "z": grid,
        "colorscale": get_colorscale("YlGnBu"),
        "zmin": 0,
        "zmax": max(top, 1.0),
        "colorbar": {"title": {"text": "% with<br>calls"}},
        "hoverongaps": False,
        "hovertemplate": "%{x|%d %b %Y} %{y}: %{z:.0f}% of recorded minutes<extra></extra>",
    }
    return figure(
        [heat],
        LAYOUT
        | {
            "title": LAYOUT["title"] | {"text": title},
            "margin": LAYOUT["margin"] | {"t": 60},
            "xaxis": {"title": {"text": NIGHT_AXIS_TITLE}, "type": "date"},
            "yaxis": {
                "title": {"text": "Hour starting"},
                "autorange": "reversed",
                "type": "category",
            },
        },
    )
