"""Model versions compared: calls per night per version, and how two versions agree.

Pure functions of the frames :mod:`db.dashboard_models` reads. Versions often scored
different recordings (a new version run on one site, an old one on the season), so nights
show the *share* of the audio each version analysed that holds calls, with the minutes and
events in the hover, and agreement is counted on the recordings both scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import LAYOUT, NIGHT_AXIS_TITLE, colour_of, empty_figure, figure, with_gaps


@dataclass(frozen=True)
class Agreement:
    """Two versions' verdicts (calls or none) on the recordings both scored.

    Attributes
    ----------
    both, first_only, second_only, neither
        Recordings both versions, only the first, only the second, or neither called positive.
    """

    both: int = 0
    first_only: int = 0
    second_only: int = 0
    neither: int = 0

    @property
    def recordings(self) -> int:
        """Recordings both versions scored."""
        return self.both + self.first_only + self.second_only + self.neither

    @property
    def share_agreeing(self) -> float | None:
        """The share of those recordings called the same way (``None`` without any)."""
        n = self.recordings
        return (self.both + self.neither) / n if n else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa: agreement beyond what the two rates of calling give by chance
        (1 = the same verdicts, 0 = no better than chance); ``None`` when undefined."""
        n = self.recordings
        if not n:
            return None
        observed = (self.both + self.neither) / n
        first = (self.both + self.first_only) / n
        second = (self.both + self.second_only) / n
        chance = first * second + (1 - first) * (1 - second)
        return None if chance >= 1 else (observed - chance) / (1 - chance)


def agreement_of(pairs: pd.DataFrame) -> Agreement:
    """:class:`Agreement` from :func:`db.dashboard_models.agreement`'s counts per pair."""
    counts = {
        (bool(a), bool(b)): int(n)
        for a, b, n in pairs[["first_calls", "second_calls", "recordings"]].itertuples(index=False)
    }
    return Agreement(
        both=counts.get((True, True), 0),
        first_only=counts.get((True, False), 0),
        second_only=counts.get((False, True), 0),
        neither=counts.get((False, False), 0),
    )


def calls_per_night_by_model(nightly: pd.DataFrame, names: dict[int, str]) -> go.Figure:
    """Per night, the share of the audio each version analysed that holds calls (minutes
    with calls over minutes analysed, as on the Overview), one line per version.

    Parameters
    ----------
    nightly
        :func:`db.dashboard_models.nightly_by_version`: ``night``, ``model_version_id``,
        ``minutes_analysed``, ``minutes_with_calls``, ``events``.
    names
        ``NAME:VERSION`` per model version id; versions are drawn in this order.
    """
    title = "Minutes with calls per night, by model version"
    nightly = nightly[nightly["minutes_analysed"] > 0]
    if nightly.empty:
        return empty_figure("No model has finished a recording in this scope.", title)
    traces = []
    for index, (version_id, name) in enumerate(names.items()):
        rows = nightly[nightly["model_version_id"] == version_id].sort_values("night")
        if rows.empty:
            continue
        nights = rows["night"].to_numpy("datetime64[D]")
        share = rows["minutes_with_calls"].to_numpy(float) / rows["minutes_analysed"].to_numpy(
            float
        )
        x, y, counts = with_gaps(
            nights,
            share,
            rows[["minutes_with_calls", "minutes_analysed", "events"]].to_numpy(float),
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": x,
                "y": y,
                "customdata": counts,
                "line": {"color": colour_of(index), "width": 2},
                "marker": {"size": 5},
                "hovertemplate": (
                    f"{name}<br>%{{x|%Y-%m-%d}}: %{{customdata[0]:,.1f}} of "
                    "%{customdata[1]:,.0f} minutes analysed with calls (%{y:.1%}), "
                    "%{customdata[2]:,.0f} events<extra></extra>"
                ),
            }
        )
    return figure(
        traces,
        LAYOUT
        | {
            "title": LAYOUT["title"] | {"text": title},
            "xaxis": {"type": "date", "title": {"text": NIGHT_AXIS_TITLE}},
            "yaxis": {
                "title": {"text": "Share of analysed minutes with calls"},
                "tickformat": ".0%",
                "rangemode": "tozero",
            },
        },
    )


def agreement_figure(found: Agreement, first: str, second: str) -> go.Figure:
    """The 2 x 2 table of two versions' verdicts as a heatmap with the counts written in."""
    title = f"{first} against {second}, on the {found.recordings:,} recordings both scored"
    if not found.recordings:
        return empty_figure("The two versions have no scored recording in common here.", title)
    z = np.array([[found.both, found.second_only], [found.first_only, found.neither]])
    total = max(found.recordings, 1)
    text = [[f"{n:,}<br>({n / total:.0%})" for n in row] for row in z.tolist()]
    return figure(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": [f"{first}: calls", f"{first}: none"],
                "y": [f"{second}: calls", f"{second}: none"],
                "text": text,
                "texttemplate": "%{text}",
                "colorscale": [[0.0, "#f6f7f9"], [1.0, "#0072B2"]],
                "showscale": False,
                "hovertemplate": "%{y}, %{x}: %{z:,} recordings<extra></extra>",
            }
        ],
        LAYOUT
        | {
            "title": LAYOUT["title"] | {"text": title, "font": {"size": 14}},
            "yaxis": {"autorange": "reversed"},
            "margin": LAYOUT["margin"] | {"l": 170},
        },
    )
