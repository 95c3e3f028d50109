"""Figures of the dashboard: pure functions from a DataFrame to a ``go.Figure``.

Effort comes first: an absence of calls means something only where there was audio to hear
them in, so every figure keeps "no audio" and "not analysed" apart from "no calls".
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.report.nights import NO_AUDIO, NOT_ANALYSED

# Okabe-Ito colours (safe for colour-blind readers); shapes differ as well.
RECORDED_COLOUR = "#BBBBBB"
CALLS_COLOUR = "#009E73"
NO_AUDIO_COLOUR = "#D55E00"
NOT_ANALYSED_COLOUR = "#E69F00"

NIGHT_AXIS_TITLE = "Night (evening date, local time)"
MINUTES_AXIS_TITLE = "Minutes of audio"
_HOVER_COLUMNS = ["Effort", "Recordings", "Minutes Analysed", "Events", "Confirmed Events"]


def calls_per_night(nights: pd.DataFrame) -> go.Figure:
    """Minutes recorded and minutes with calls per night, with nights of no audio marked.

    Parameters
    ----------
    nights
        One row per night, columns of :data:`core.report.nights.NIGHT_COLUMNS` (minutes of audio).

    Returns
    -------
    plotly.graph_objects.Figure
        A grey bar per night with audio (minutes recorded) overlaid by a green bar (minutes
        with calls), so a night of no calls shows a grey bar alone; a night without audio
        has no bar but a cross at zero ("No audio"), and a night whose audio the model has
        not scored a diamond at the top of its bar ("Not analysed").
    """
    fig = go.Figure()
    heard = nights[nights["Effort"] != NO_AUDIO]
    hover = heard[_HOVER_COLUMNS].astype(object).to_numpy()
    fig.add_bar(
        name="Minutes recorded",
        x=heard["Night"],
        y=heard["Minutes Recorded"],
        marker_color=RECORDED_COLOUR,
        customdata=hover,
        hovertemplate=(
            "%{y:.1f} min recorded in %{customdata[1]} recordings"
            " (%{customdata[2]:.1f} analysed): %{customdata[0]}<extra></extra>"
        ),
    )
    fig.add_bar(
        name="Minutes with calls",
        x=heard["Night"],
        y=heard["Minutes with Calls"],
        marker_color=CALLS_COLOUR,
        customdata=hover,
        hovertemplate=(
            "%{y} min with calls, %{customdata[3]} events"
            " (%{customdata[4]} confirmed)<extra></extra>"
        ),
    )
    no_audio = nights[nights["Effort"] == NO_AUDIO]
    fig.add_scatter(
        name="No audio",
        x=no_audio["Night"],
        y=[0] * len(no_audio),
        mode="markers",
        marker={"symbol": "x", "size": 10, "color": NO_AUDIO_COLOUR},
        hovertemplate="no audio: calls unknown<extra></extra>",
    )
    skipped = nights[nights["Effort"] == NOT_ANALYSED]
    fig.add_scatter(
        name="Not analysed",
        x=skipped["Night"],
        y=skipped["Minutes Recorded"],
        mode="markers",
        marker={"symbol": "diamond-open", "size": 10, "color": NOT_ANALYSED_COLOUR},
        hovertemplate="audio not analysed yet: calls unknown<extra></extra>",
    )
    fig.update_layout(
        title="Calls per night",
        barmode="overlay",
        template="plotly_white",
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 60, "r": 20, "t": 80, "b": 50},
    )
    fig.update_xaxes(title_text=NIGHT_AXIS_TITLE, type="date")
    fig.update_yaxes(title_text=MINUTES_AXIS_TITLE, rangemode="tozero")
    if nights.empty:
        fig.add_annotation(
            text="No recordings with a known time at this site yet",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
        )
    return fig
