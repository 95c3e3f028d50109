"""Call activity over the nights: calls per night and site over the audio recorded, and
when in the night calling happens (hour of night by night). Effort comes first: an absence of
calls means something only where there was audio to hear them in, so calls are shown as a
share of the audio recorded that night, and the audio itself is its own trace (a night without
audio is a gap, not a zero).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from dashboard.figures import (
    DAY_MS,
    EFFORT_COLOUR,
    LAYOUT,
    NIGHT_AXIS_TITLE,
    PALETTE,
    SIDE_LEGEND,
    all_nights,
    axis_ref,
    colour_of,
    empty_figure,
    figure,
    stacked_layout,
    with_gaps,
)

# Hours of a night in order, evening first.
NIGHT_HOURS: tuple[int, ...] = tuple(range(12, 24)) + tuple(range(12))


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
