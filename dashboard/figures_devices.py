"""Figures of where the recorders are and how they do: the site map, device health and an
event's spectrogram (pure functions, as in :mod:`dashboard.figures`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures import (
    DAY_MS,
    LAYOUT,
    NIGHT_AXIS_TITLE,
    SIDE_LEGEND,
    all_nights,
    empty_figure,
)


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
    marker = {
        "size": size,
        "color": points["days_since_call"].fillna(-1),
        "cmin": -1,
        "colorscale": [[0, "#BBBBBB"], [0.001, "#009E73"], [0.3, "#E69F00"], [1, "#D55E00"]],
        "showscale": True,
        "colorbar": {"title": {"text": "Days since<br>last call"}},
    }
    custom = points[["name", "kind", "hours_recorded", "events", "last_call"]].to_numpy()
    hover = (
        "<b>%{customdata[0]}</b> (%{customdata[1]})<br>%{customdata[2]:.1f} h recorded, "
        "%{customdata[3]} events<br>last call: %{customdata[4]}<extra></extra>"
    )
    text = points["name"].where(points["kind"] == "site", "")
    # The same markers, labels and hover on tiles or on the plain offline axes.
    markers = {
        "mode": "markers+text",
        "text": text,
        "textposition": "top right",
        "marker": marker,
        "customdata": custom,
        "hovertemplate": hover,
    }
    if tile_url:
        fig = go.Figure(go.Scattermap(lat=points["latitude"], lon=points["longitude"], **markers))
        fig.update_layout(
            map={
                "style": "white-bg",
                "zoom": _zoom(points),
                "center": {"lat": points["latitude"].mean(), "lon": points["longitude"].mean()},
                "layers": [
                    {
                        "below": "traces",
                        "sourcetype": "raster",
                        "source": [tile_url],
                        "sourceattribution": attribution,
                    }
                ],
            },
        )
        fig.update_layout(**LAYOUT)
        fig.update_layout(title_text=title)
        return fig
    fig = go.Figure(go.Scatter(x=points["longitude"], y=points["latitude"], **markers))
    lat = float(points["latitude"].mean())
    fig.update_layout(**LAYOUT)
    fig.update_layout(title_text=title)
    pad = max(points["longitude"].max() - points["longitude"].min(), 0.01) * 0.15
    fig.update_xaxes(
        title_text="Longitude (°)",
        range=[points["longitude"].min() - pad, points["longitude"].max() + pad],
    )
    # Equal distances on both axes at this latitude.
    fig.update_yaxes(
        title_text="Latitude (°)",
        scaleanchor="x",
        scaleratio=1 / max(math.cos(math.radians(lat)), 0.1),
    )
    return fig


def _zoom(points: pd.DataFrame) -> float:
    span = max(
        points["longitude"].max() - points["longitude"].min(),
        points["latitude"].max() - points["latitude"].min(),
        0.005,
    )
    return float(np.clip(math.log2(360 / span) - 1, 1, 16))


def device_health(nights: pd.DataFrame, expected_min: float | None) -> go.Figure:
    """One device per night: minutes recorded against the expected, battery, temperature.

    Parameters
    ----------
    nights
        :func:`db.dashboard_events.device_nights`, one row per night with audio.
    expected_min
        Minutes a full night of its schedule records (``None``: unknown).
    """
    if nights.empty:
        return empty_figure("This device has no recordings of known time in this range")
    every = pd.DataFrame({"night": all_nights(min(nights["night"]), max(nights["night"]))})
    full = every.merge(nights, on="night", how="left")
    x = pd.to_datetime(full["night"])
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=(
            "Minutes recorded per night",
            "Battery (lowest of the night)",
            "Temperature in the case (mean, min-max)",
        ),
    )
    fig.add_bar(
        row=1,
        col=1,
        x=x,
        y=full["minutes_recorded"].fillna(0),
        width=0.8 * DAY_MS,
        name="Recorded",
        marker_color="#0072B2",
        hovertemplate="%{x|%d %b %Y}: %{y:.0f} min recorded<extra></extra>",
    )
    if expected_min:
        missing = (full["minutes_recorded"].fillna(0) < 0.9 * expected_min).to_numpy()
        fig.add_scatter(
            row=1,
            col=1,
            x=x,
            y=[expected_min] * len(full),
            mode="lines",
            name="Expected",
            line={"color": "#D55E00", "dash": "dash"},
            hovertemplate=f"expected {expected_min:.0f} min<extra></extra>",
        )
        fig.add_scatter(
            row=1,
            col=1,
            x=x[missing],
            y=[0] * int(missing.sum()),
            mode="markers",
            name="Gap (under 90% of expected)",
            marker={"symbol": "triangle-up", "size": 9, "color": "#D55E00"},
            hovertemplate="%{x|%d %b %Y}: gap<extra></extra>",
        )
    fig.add_scatter(
        row=2,
        col=1,
        x=x,
        y=full["battery_v"],
        mode="lines+markers",
        name="Battery (V)",
        line={"color": "#009E73"},
        connectgaps=False,
    )
    # The band over nights with a temperature only: a gap would break plotly's fill.
    known = full["temperature_min"].notna() & full["temperature_max"].notna()
    fig.add_scatter(
        row=3,
        col=1,
        x=x[known],
        y=full.loc[known, "temperature_max"],
        mode="lines",
        line={"width": 0},
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        row=3,
        col=1,
        x=x[known],
        y=full.loc[known, "temperature_min"],
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor="rgba(230,159,0,0.25)",
        name="min-max",
        hoverinfo="skip",
    )
    fig.add_scatter(
        row=3,
        col=1,
        x=x,
        y=full["temperature_c"],
        mode="lines+markers",
        name="Mean °C",
        line={"color": "#E69F00"},
    )
    fig.update_layout(height=620, **LAYOUT)
    fig.update_layout(
        legend=SIDE_LEGEND | {"traceorder": "normal"}, margin={"l": 60, "r": 20, "t": 50, "b": 50}
    )
    fig.update_yaxes(title_text="min", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="V", row=2, col=1)
    fig.update_yaxes(title_text="°C", row=3, col=1)
    fig.update_xaxes(type="date", title_text=NIGHT_AXIS_TITLE, row=3, col=1)
    return fig


def spectrogram(
    power_db: np.ndarray,
    times_s: np.ndarray,
    freqs_hz: np.ndarray,
    *,
    event_s: tuple[float, float],
    max_hz: float = 3000.0,
) -> go.Figure:
    """The spectrogram of an event's audio (times in seconds of the recording) up to
    ``max_hz``, with the event's span marked."""
    keep = freqs_hz <= max_hz
    fig = go.Figure(
        go.Heatmap(
            x=times_s,
            y=freqs_hz[keep],
            z=power_db[keep],
            colorscale="Greys",
            reversescale=True,
            colorbar={"title": {"text": "dB"}},
            hovertemplate="%{x:.2f} s, %{y:.0f} Hz: %{z:.0f} dB<extra></extra>",
        )
    )
    fig.add_vrect(
        x0=event_s[0],
        x1=event_s[1],
        line={"color": "#D55E00", "width": 2},
        fillcolor="rgba(213,94,0,0.08)",
        annotation_text="event",
        annotation_position="top left",
    )
    fig.update_layout(
        template="plotly_white", margin={"l": 60, "r": 20, "t": 30, "b": 45}, height=320
    )
    fig.update_xaxes(title_text="Seconds into the recording")
    fig.update_yaxes(title_text="Hz", range=[0, max_hz])
    return fig
