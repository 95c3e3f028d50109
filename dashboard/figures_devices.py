"""Figures of where the recorders are and how they do: the site map and device health
(pure functions, in the look of :mod:`dashboard.figures`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import (
    DAY_MS,
    LAYOUT,
    NIGHT_AXIS_TITLE,
    SIDE_LEGEND,
    all_nights,
    axis_ref,
    empty_figure,
    figure,
    stacked_layout,
)

# Days since the last call at which a marker is fully red (or the oldest, if older).
MAP_DAYS_SCALE = 14.0


def site_map(
    points: pd.DataFrame, *, tile_url: str | None = None, attribution: str = ""
) -> go.Figure:
    """Sites (and devices with their own coordinates) sized by calling, coloured by last call.

    Parameters
    ----------
    points
        ``name``, ``kind`` ("site" or "device"), ``latitude``, ``longitude``,
        ``hours_recorded``, ``minutes_with_calls``, ``events``, ``days_since_call``
        (``NaN``: never), ``last_call`` (text).
    tile_url
        An XYZ tile URL template; ``None``: a plain longitude/latitude plot that needs no
        tile server and no internet.
    """
    title = "Sites and devices"
    if points.empty:
        return empty_figure("No site or device has coordinates yet", title)
    size = 10 + 30 * np.sqrt(
        points["minutes_with_calls"] / max(points["minutes_with_calls"].max(), 1e-9)
    )
    days = points["days_since_call"].astype(float)
    hover = (
        "<b>%{customdata[0]}</b> (%{customdata[1]})<br>%{customdata[2]:.1f} h recorded, "
        "%{customdata[3]} events<br>last call: %{customdata[4]}<extra></extra>"
    )
    kind = "scattermap" if tile_url else "scatter"
    traces = []
    # Sites with a call, coloured by how long ago (green: in the newest night); sites
    # without one in grey, their own trace, so the colour scale holds days only; recorders
    # that carry their own position as small diamonds (their calls count at their site).
    site = points["kind"] == "site"
    groups = (
        (site & days.notna(), "site, by last call"),
        (site & days.isna(), "site without calls"),
        (~site, "recorder (own position)"),
    )
    for chosen, name in groups:
        if not chosen.any():
            continue
        rows = points[chosen]
        marker: dict = {"size": size[chosen].to_numpy(dtype=float)}
        if name == "site, by last call":
            marker |= {
                "color": days[chosen].to_numpy(dtype=float),
                "cmin": 0.0,
                "cmax": max(MAP_DAYS_SCALE, float(days.max())),
                "colorscale": [[0, "#009E73"], [0.4, "#E69F00"], [1, "#D55E00"]],
                "showscale": True,
                "colorbar": {"title": {"text": "Days since<br>last call"}},
            }
        elif name == "site without calls":
            marker |= {"color": "#BBBBBB"}
        else:
            marker = {"size": 9, "color": "#444444", "symbol": "diamond"}
        where = (
            {"lat": rows["latitude"].to_numpy(float), "lon": rows["longitude"].to_numpy(float)}
            if tile_url
            else {"x": rows["longitude"].to_numpy(float), "y": rows["latitude"].to_numpy(float)}
        )
        traces.append(
            {
                "type": kind,
                "name": name,
                "mode": "markers+text",
                "text": rows["name"].where(rows["kind"] == "site", "").to_numpy(dtype=str),
                "textposition": "top right",
                "marker": marker,
                "customdata": rows[
                    ["name", "kind", "hours_recorded", "events", "last_call"]
                ].to_numpy(),
                "hovertemplate": hover,
                **where,
            }
        )
    layout = LAYOUT | {"title": LAYOUT["title"] | {"text": title}}
    if tile_url:
        layout["map"] = {
            "style": "white-bg",
            "zoom": _zoom(points),
            "center": {
                "lat": float(points["latitude"].mean()),
                "lon": float(points["longitude"].mean()),
            },
            "layers": [
                {
                    "below": "traces",
                    "sourcetype": "raster",
                    "source": [tile_url],
                    "sourceattribution": attribution,
                }
            ],
        }
        return figure(traces, layout)
    lat = float(points["latitude"].mean())
    pad = max(points["longitude"].max() - points["longitude"].min(), 0.01) * 0.15
    layout["xaxis"] = {
        "title": {"text": "Longitude (°)"},
        "range": [float(points["longitude"].min() - pad), float(points["longitude"].max() + pad)],
    }
    # Equal distances on both axes at this latitude.
    layout["yaxis"] = {
        "title": {"text": "Latitude (°)"},
        "scaleanchor": "x",
        "scaleratio": 1 / max(math.cos(math.radians(lat)), 0.1),
    }
    return figure(traces, layout)


def _zoom(points: pd.DataFrame) -> float:
    span = max(
        points["longitude"].max() - points["longitude"].min(),
        points["latitude"].max() - points["latitude"].min(),
        0.005,
    )
    return float(np.clip(math.log2(360 / span) - 1, 1, 16))


def device_health(
    nights: pd.DataFrame, expected_min: float | pd.Series | None, *, expected_label: str = ""
) -> go.Figure:
    """One device per night: minutes recorded against the expected, battery, temperature.

    Parameters
    ----------
    nights
        :func:`db.dashboard_events.device_nights`, one row per night with audio.
    expected_min
        Minutes a full night of its schedule records: one number for every night, a Series
        indexed by night (a night it does not list, one without audio, expects what the
        night before did), or ``None``.
    expected_label
        Where the expectation comes from, for the legend (e.g. "schedule").
    """
    if nights.empty:
        return empty_figure("This device has no recordings of known time in this range")
    every = pd.DataFrame({"night": all_nights(min(nights["night"]), max(nights["night"]))})
    full = every.merge(nights, on="night", how="left")
    x = pd.to_datetime(full["night"]).to_numpy(dtype="datetime64[ns]")
    recorded = full["minutes_recorded"].fillna(0).to_numpy(dtype=float)
    traces: list = [
        dict(
            type="bar",
            x=x,
            y=recorded,
            width=0.8 * DAY_MS,
            name="Recorded",
            marker_color="#0072B2",
            hovertemplate="%{x|%d %b %Y}: %{y:.1f} min recorded<extra></extra>",
            **axis_ref(1),
        )
    ]
    expected = _expected_per_night(full["night"], expected_min)
    if expected is not None and np.isfinite(expected).any():
        name = f"Expected ({expected_label})" if expected_label else "Expected"
        traces.append(
            dict(
                type="scatter",
                x=x,
                y=expected,
                mode="lines",
                name=name,
                line={"color": "#D55E00", "dash": "dash", "shape": "hv"},
                hovertemplate="%{x|%d %b %Y}: expected %{y:.1f} min<extra></extra>",
                **axis_ref(1),
            )
        )
        missing = np.isfinite(expected) & (recorded < 0.9 * np.nan_to_num(expected))
        traces.append(
            dict(
                type="scatter",
                x=x[missing],
                y=np.zeros(int(missing.sum())),
                mode="markers",
                name="Gap (under 90% of expected)",
                marker={"symbol": "triangle-up", "size": 9, "color": "#D55E00"},
                hovertemplate="%{x|%d %b %Y}: gap<extra></extra>",
                **axis_ref(1),
            )
        )
    traces.append(
        dict(
            type="scatter",
            x=x,
            y=full["battery_v"].to_numpy(dtype=float),
            mode="lines+markers",
            name="Battery (V)",
            line={"color": "#009E73"},
            connectgaps=False,
            **axis_ref(2),
        )
    )
    # The band over nights with a temperature only: a gap would break plotly's fill.
    known = (full["temperature_min"].notna() & full["temperature_max"].notna()).to_numpy()
    band = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip", **axis_ref(3)}
    traces.append(
        dict(
            type="scatter",
            x=x[known],
            y=full["temperature_max"].to_numpy(dtype=float)[known],
            showlegend=False,
            **band,
        )
    )
    traces.append(
        dict(
            type="scatter",
            x=x[known],
            y=full["temperature_min"].to_numpy(dtype=float)[known],
            fill="tonexty",
            fillcolor="rgba(230,159,0,0.25)",
            name="min-max",
            **band,
        )
    )
    traces.append(
        dict(
            type="scatter",
            x=x,
            y=full["temperature_c"].to_numpy(dtype=float),
            mode="lines+markers",
            name="Mean °C",
            line={"color": "#E69F00"},
            **axis_ref(3),
        )
    )
    layout = stacked_layout(
        (
            "Minutes recorded per night",
            "Battery (lowest of the night)",
            "Temperature in the case (mean, min-max)",
        ),
        (1.0, 1.0, 1.0),
        0.07,
    )
    layout["yaxis"] |= {"title": {"text": "min"}, "rangemode": "tozero"}
    layout["yaxis2"] |= {"title": {"text": "V"}}
    layout["yaxis3"] |= {"title": {"text": "°C"}}
    layout["xaxis3"]["title"] = {"text": NIGHT_AXIS_TITLE}
    return go.Figure(
        data=traces,
        layout=LAYOUT
        | layout
        | {
            "height": 620,
            "legend": SIDE_LEGEND | {"traceorder": "normal"},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        },
    )


def _expected_per_night(
    nights: pd.Series, expected_min: float | pd.Series | None
) -> np.ndarray | None:
    """The expected minutes of each night (NaN where unknown), or ``None``."""
    if expected_min is None:
        return None
    if isinstance(expected_min, pd.Series):
        # A night without audio expects what the night before it did: the device's
        # schedule went on; that it recorded nothing is the gap to show.
        return nights.map(expected_min).ffill().bfill().to_numpy(dtype=float)
    return np.full(len(nights), float(expected_min))
