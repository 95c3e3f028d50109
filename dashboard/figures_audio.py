"""The figure of an event's audio: its spectrogram up to a chosen frequency, with the event's
span marked, as the detections page shows it beside the audio it plays. A pure function of the
power, times and frequencies :func:`dashboard.media.power_spectrogram` computes, in the look of
:mod:`dashboard.figures`; loud is dark on a light ground, as in Raven and on paper, so calls
stand out from the noise floor.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard.figures import TEMPLATE


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
            # Loud is dark on a light ground, as in Raven and on paper; the noise floor
            # (the median) is white, so calls stand out.
            colorscale="Greys",
            zmin=float(np.median(power_db[keep])) if keep.any() else None,
            zmax=float(np.max(power_db[keep])) if keep.any() else None,
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
    fig.update_layout(template=TEMPLATE, margin={"l": 60, "r": 20, "t": 30, "b": 45}, height=320)
    fig.update_xaxes(title_text="Seconds into the recording")
    fig.update_yaxes(title_text="Hz", range=[0, max_hz])
    return fig
