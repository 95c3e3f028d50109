"""Figures of calling against temperature: the share of recordings with calls per
temperature bin with its fitted logistic curve, and one marker per site and night (mean
temperature against the share with calls). Pure functions of the frames :mod:`dashboard.stats`
bins and fits, drawn in the look of :mod:`dashboard.figures`; the temperature is the
recorder's, in its case (air, not water).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from dashboard.figures import CALLS_COLOUR, LAYOUT, empty_figure, figure
from dashboard.stats import LogisticFit, logistic


def temperature_bins(bins: pd.DataFrame, fit: LogisticFit | None) -> go.Figure:
    """Share of recordings with calls per temperature bin (with counts) and the fitted curve.

    Parameters
    ----------
    bins
        :func:`dashboard.stats.bin_by_temperature`: ``temperature_c`` (bin centre),
        ``recordings``, ``with_calls``, ``share``.
    fit
        The fitted logistic curve, or ``None`` (too little data to fit).
    """
    title = "Calling against the recorder's temperature"
    if bins.empty:
        return empty_figure("No analysed recordings with a temperature in this range", title)
    width = float(np.diff(bins["temperature_c"]).min()) if len(bins) > 1 else 1.0
    traces: list[dict] = [
        {
            "type": "bar",
            "x": bins["temperature_c"].to_numpy(dtype=float),
            "y": 100.0 * bins["share"].to_numpy(dtype=float),
            "width": 0.9 * width,
            "name": "Recordings with calls",
            "marker": {"color": CALLS_COLOUR},
            "opacity": 0.7,
            "text": [f"n={n}" for n in bins["recordings"]],
            "textposition": "outside",
            "customdata": bins[["with_calls", "recordings"]].to_numpy(dtype=float),
            "hovertemplate": "%{x:.1f} °C: %{customdata[0]:.0f} of %{customdata[1]:.0f} "
            "recordings with calls<extra></extra>",
        }
    ]
    shapes, notes = [], []
    if fit is not None:
        t = np.linspace(
            bins["temperature_c"].min() - width, bins["temperature_c"].max() + width, 200
        )
        traces.append(
            {
                "type": "scatter",
                "x": t,
                "y": 100.0 * logistic(t, fit.p_max, fit.slope, fit.t50_c),
                "mode": "lines",
                "name": "Logistic fit",
                "line": {"color": "#0072B2", "width": 2.5},
            }
        )
        line = {"x0": fit.t50_c, "x1": fit.t50_c, "xref": "x", "yref": "paper"}
        shapes.append(
            line | {"type": "line", "y0": 0, "y1": 1, "line": {"dash": "dash", "color": "#D55E00"}}
        )
        notes.append(
            {
                "text": f"half of max at {fit.t50_c:.1f} °C",
                "x": fit.t50_c,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "xanchor": "right",
                "yanchor": "top",
                "showarrow": False,
            }
        )
    return figure(
        traces,
        LAYOUT
        | {
            "hovermode": "closest",
            "title": LAYOUT["title"] | {"text": title},
            "shapes": shapes,
            "annotations": notes,
            "xaxis": {"title": {"text": "AudioMoth temperature (°C, in the case: air, not water)"}},
            "yaxis": {"title": {"text": "% of recordings with calls"}, "range": [0, 110]},
        },
    )


def temperature_nights(nights: pd.DataFrame) -> go.Figure:
    """One marker per site and night: mean temperature against the share with calls,
    coloured by date.

    Parameters
    ----------
    nights
        :func:`dashboard.stats.nights_by_temperature`: ``site``, ``night``,
        ``temperature_c``, ``recordings``, ``share``.
    """
    title = "Nights: temperature and calling"
    if nights.empty:
        return empty_figure("No analysed recordings with a temperature in this range", title)
    ordinal = np.array([n.toordinal() for n in nights["night"]], dtype=float)
    ticks = np.unique(np.linspace(ordinal.min(), ordinal.max(), 5).round().astype(int))
    # Numbers and one text array, as numpy arrays: plotly checks lists element by element.
    where = (nights["night"].astype(str) + " at " + nights["site"].astype(str)).to_numpy(dtype=str)
    marker = {
        "size": 9,
        "color": ordinal,
        "colorscale": get_colorscale("Viridis"),
        "showscale": True,
        "colorbar": {
            "title": {"text": "Night"},
            "tickvals": ticks,
            "ticktext": [date.fromordinal(int(t)).isoformat() for t in ticks],
        },
    }
    trace = {
        "type": "scatter",
        "x": nights["temperature_c"].to_numpy(dtype=float),
        "y": 100.0 * nights["share"].to_numpy(dtype=float),
        "mode": "markers",
        "marker": marker,
        "text": where,
        "customdata": nights["recordings"].to_numpy(dtype=float),
        "hovertemplate": "%{text}: %{x:.1f} °C, %{y:.0f}% of %{customdata:.0f} recordings "
        "with calls<extra></extra>",
    }
    return figure(
        [trace],
        LAYOUT
        | {
            "title": LAYOUT["title"] | {"text": title},
            "margin": LAYOUT["margin"] | {"t": 60},
            "xaxis": {"title": {"text": "Mean recorder temperature that night (°C)"}},
            "yaxis": {"title": {"text": "% of recordings with calls"}, "rangemode": "tozero"},
        },
    )
