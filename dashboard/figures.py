"""Figures of the dashboard: pure functions from DataFrames to ``go.Figure``.

Effort comes first: an absence of calls means something only where there was audio to hear
them in, so calls are shown as a share of the audio recorded that night, and the audio itself
is its own trace (a night without audio is a gap, not a zero). Time axes are true date axes:
every bar is one night wide, so two nights years apart read as two nights, not as a season.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.stats import LogisticFit, logistic

# Okabe-Ito colours (safe for colour-blind readers).
PALETTE = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
EFFORT_COLOUR = "#BBBBBB"
CALLS_COLOUR = "#009E73"
DAY_MS = 86_400_000
NIGHT_AXIS_TITLE = "Night (evening date, local time)"
# Hours of a night in order, evening first.
NIGHT_HOURS: tuple[int, ...] = tuple(range(12, 24)) + tuple(range(12))
_LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 90, "b": 50},
    "title": {"y": 0.97, "yanchor": "top", "x": 0.01},
    "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
}
# Figures with subplot titles keep their legend at the side, clear of the titles.
_SIDE_LEGEND = {"orientation": "v", "x": 1.01, "y": 1, "xanchor": "left", "yanchor": "top"}


def colour_of(index: int) -> str:
    """The ``index``-th colour of the palette (cycling)."""
    return PALETTE[index % len(PALETTE)]


def empty_figure(message: str, title: str = "") -> go.Figure:
    """A figure with no axes and ``message`` in the middle (nothing to show, and why)."""
    fig = go.Figure()
    fig.update_layout(**_LAYOUT)
    fig.update_layout(title_text=title)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font={"size": 15}
    )
    return fig


def all_nights(first: date, last: date) -> list[date]:
    """Every night from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def calls_per_night(nightly: pd.DataFrame) -> go.Figure:
    """Call activity per night and site (top) over the audio recorded (bottom).

    Parameters
    ----------
    nightly
        :func:`db.dashboard.nightly_activity`: ``site``, ``night``, ``minutes_recorded``,
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
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.62, 0.38],
        vertical_spacing=0.06,
        subplot_titles=("Share of recorded minutes with calls", "Audio recorded (effort)"),
    )
    for i, (site, rows) in enumerate(nightly.groupby("site", sort=True)):
        rows = rows.sort_values("night")
        share = (
            100.0
            * rows["minutes_with_calls"]
            / rows["minutes_recorded"].where(rows["minutes_recorded"] > 0)
        )
        x, y, custom = _break_gaps(rows, share)
        fig.add_scatter(
            row=1,
            col=1,
            x=x,
            y=y,
            name=str(site),
            legendgroup=str(site),
            mode="lines+markers",
            line={"color": colour_of(i), "width": 1.5},
            marker={"size": 6, "color": colour_of(i)},
            customdata=custom,
            hovertemplate=(
                "%{x|%d %b %Y}<br>%{y:.1f}% of recorded minutes with calls<br>"
                "%{customdata[0]:.1f} of %{customdata[1]:.1f} min, %{customdata[2]} events"
                f"<extra>{site}</extra>"
            ),
        )
        fig.add_bar(
            row=2,
            col=1,
            x=pd.to_datetime(rows["night"]),
            y=rows["minutes_recorded"],
            width=0.8 * DAY_MS,
            name=f"{site} (audio)",
            legendgroup=str(site),
            showlegend=False,
            marker_color=colour_of(i),
            opacity=0.45,
            hovertemplate=f"%{{x|%d %b %Y}}: %{{y:.0f}} min recorded<extra>{site}</extra>",
        )
    fig.update_layout(barmode="stack", hovermode="closest", **_LAYOUT)
    fig.update_layout(
        title_text="Calls per night",
        legend=_SIDE_LEGEND,
        margin={"l": 60, "r": 20, "t": 70, "b": 50},
    )
    fig.update_yaxes(title_text="% with calls", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="Minutes", rangemode="tozero", row=2, col=1)
    first, last = min(nightly["night"]), max(nightly["night"])
    pad = timedelta(days=1)
    fig.update_xaxes(type="date", range=[first - pad, last + pad])
    fig.update_xaxes(title_text=NIGHT_AXIS_TITLE, row=2, col=1)
    return fig


def _break_gaps(rows: pd.DataFrame, share: pd.Series) -> tuple[list, list, list]:
    # A None between nights that are not consecutive breaks the line there.
    x: list = []
    y: list = []
    custom: list = []
    previous: date | None = None
    for night, value, row in zip(rows["night"], share, rows.itertuples(), strict=True):
        if previous is not None and (night - previous).days > 1:
            x.append(previous + timedelta(days=1))
            y.append(None)
            custom.append((0.0, 0.0, 0))
        x.append(night)
        y.append(None if pd.isna(value) else float(value))
        custom.append((row.minutes_with_calls, row.minutes_recorded, row.events))
        previous = night
    return x, y, custom


def night_heatmap(hourly: pd.DataFrame) -> go.Figure:
    """Hour of night x night: share of recorded minutes with calls; blank where no audio.

    Parameters
    ----------
    hourly
        :func:`db.dashboard.hourly_activity`: ``night``, ``hour``, ``minutes_recorded``,
        ``minutes_with_calls``.
    """
    title = "When calling happens (hour of night, local time)"
    if hourly.empty:
        return empty_figure("No recordings of known time in this range", title)
    nights = all_nights(min(hourly["night"]), max(hourly["night"]))
    share = hourly.assign(
        share=100.0
        * hourly["minutes_with_calls"]
        / hourly["minutes_recorded"].where(hourly["minutes_recorded"] > 0)
    ).pivot_table(index="hour", columns="night", values="share", aggfunc="mean")
    # Only the hours the recorders cover, in night order (evening first).
    hours = [h for h in NIGHT_HOURS if h in set(hourly["hour"])]
    grid = share.reindex(index=hours, columns=nights)
    top = (
        float(np.nanmax(grid.to_numpy(dtype=float)))
        if np.isfinite(grid.to_numpy(dtype=float)).any()
        else 0.0
    )
    fig = go.Figure(
        go.Heatmap(
            x=[pd.Timestamp(n) for n in nights],
            y=[f"{h:02d}:00" for h in hours],
            z=grid.to_numpy(dtype=float),
            colorscale="YlGnBu",
            zmin=0,
            zmax=max(top, 1.0),
            colorbar={"title": {"text": "% with<br>calls"}},
            hoverongaps=False,
            hovertemplate="%{x|%d %b %Y} %{y}: %{z:.0f}% of recorded minutes<extra></extra>",
        )
    )
    fig.update_layout(**_LAYOUT)
    fig.update_layout(title_text=title)
    fig.update_xaxes(title_text=NIGHT_AXIS_TITLE, type="date")
    fig.update_yaxes(title_text="Hour starting", autorange="reversed", type="category")
    return fig


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
    fig = go.Figure()
    fig.add_bar(
        x=bins["temperature_c"],
        y=100.0 * bins["share"],
        width=0.9 * width,
        name="Recordings with calls",
        marker_color=CALLS_COLOUR,
        opacity=0.7,
        text=[f"n={n}" for n in bins["recordings"]],
        textposition="outside",
        customdata=bins[["with_calls", "recordings"]].to_numpy(),
        hovertemplate="%{x:.1f} °C: %{customdata[0]} of %{customdata[1]} recordings with calls"
        "<extra></extra>",
    )
    if fit is not None:
        t = np.linspace(
            bins["temperature_c"].min() - width, bins["temperature_c"].max() + width, 200
        )
        fig.add_scatter(
            x=t,
            y=100.0 * logistic(t, fit.p_max, fit.slope, fit.t50_c),
            mode="lines",
            name="Logistic fit",
            line={"color": "#0072B2", "width": 2.5},
        )
        fig.add_vline(
            x=fit.t50_c,
            line_dash="dash",
            line_color="#D55E00",
            annotation_text=f"half of max at {fit.t50_c:.1f} °C",
            annotation_position="top left",
        )
    fig.update_layout(hovermode="closest", **_LAYOUT)
    fig.update_layout(title_text=title)
    fig.update_xaxes(title_text="AudioMoth temperature (°C, in the case: air, not water)")
    fig.update_yaxes(title_text="% of recordings with calls", range=[0, 110])
    return fig


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
    ordinal = [pd.Timestamp(n).toordinal() for n in nights["night"]]
    ticks = np.unique(np.linspace(min(ordinal), max(ordinal), 5).round().astype(int))
    fig = go.Figure(
        go.Scatter(
            x=nights["temperature_c"],
            y=100.0 * nights["share"],
            mode="markers",
            marker={
                "size": 9,
                "color": ordinal,
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {
                    "title": {"text": "Night"},
                    "tickvals": ticks,
                    "ticktext": [date.fromordinal(int(t)).isoformat() for t in ticks],
                },
            },
            customdata=np.stack(
                [
                    nights["site"].astype(str),
                    [str(n) for n in nights["night"]],
                    nights["recordings"],
                ],
                axis=1,
            ),
            hovertemplate="%{customdata[1]} at %{customdata[0]}: %{x:.1f} °C, %{y:.0f}% of "
            "%{customdata[2]} recordings with calls<extra></extra>",
        )
    )
    fig.update_layout(**_LAYOUT)
    fig.update_layout(title_text=title)
    fig.update_xaxes(title_text="Mean recorder temperature that night (°C)")
    fig.update_yaxes(title_text="% of recordings with calls", rangemode="tozero")
    return fig


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
    if tile_url:
        fig = go.Figure(
            go.Scattermap(
                lat=points["latitude"],
                lon=points["longitude"],
                mode="markers+text",
                text=text,
                textposition="top right",
                marker=marker,
                customdata=custom,
                hovertemplate=hover,
            )
        )
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
        fig.update_layout(**_LAYOUT)
        fig.update_layout(title_text=title)
        return fig
    fig = go.Figure(
        go.Scatter(
            x=points["longitude"],
            y=points["latitude"],
            mode="markers+text",
            text=text,
            textposition="top right",
            marker=marker,
            customdata=custom,
            hovertemplate=hover,
        )
    )
    lat = float(points["latitude"].mean())
    fig.update_layout(**_LAYOUT)
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
    fig.add_scatter(
        row=3,
        col=1,
        x=x,
        y=full["temperature_max"],
        mode="lines",
        line={"width": 0},
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        row=3,
        col=1,
        x=x,
        y=full["temperature_min"],
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
    fig.update_layout(height=620, **_LAYOUT)
    fig.update_layout(legend=_SIDE_LEGEND, margin={"l": 60, "r": 20, "t": 50, "b": 50})
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
