"""Overview (``/``): totals, calls per night per site, and an hour-of-night heatmap."""

from __future__ import annotations

import logging

import dash
import plotly.graph_objects as go
from dash import Output, callback, dcc, html

from dashboard import data, figures, figures_activity
from dashboard.components import cards, keep_view, refresh_input, scope_inputs
from db.dashboard import site_ids, with_site_names
from db.dashboard_activity import activity_sets, totals

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/", name="Overview", title="RanaWatch - Overview", order=0)

TOTALS, NIGHTS, HOURS, MESSAGE = (
    "overview-totals",
    "overview-nights",
    "overview-hours",
    "overview-message",
)


def layout(**_query: str) -> html.Div:
    """The page: headline numbers and two figures, filled by :func:`update`."""
    return html.Div(
        [
            html.H2("Overview"),
            html.Div(id=TOTALS),
            html.P(id=MESSAGE, style={"color": "#555"}),
            dcc.Graph(id=NIGHTS, style={"height": "520px"}),
            dcc.Graph(id=HOURS, style={"height": "420px"}),
        ]
    )


@callback(
    Output(TOTALS, "children"),
    Output(NIGHTS, "figure"),
    Output(HOURS, "figure"),
    Output(MESSAGE, "children"),
    *scope_inputs(),
    refresh_input(),
)
def update(
    sites: list[str] | None, start: str | None, end: str | None, _refresh: int | None = None
) -> tuple[object, go.Figure, go.Figure, str]:
    """Totals, calls per night and the heatmap for the chosen sites and nights (again on
    each auto-refresh, keeping the figures' zoom)."""
    try:
        with data.reading() as session:
            scope, model = data.build_scope(session, sites, start, end)
            nightly, hourly = activity_sets(
                session=session, scope=scope, sets=[("site_id", "night"), ("night", "hour")]
            )
            numbers = totals(session=session, scope=scope, frame=nightly)
            nightly = with_site_names(nightly, site_ids(session=session))
    except data.Unavailable as exc:
        empty = figures.empty_figure(str(exc))
        return None, empty, empty, str(exc)
    row = cards(
        [
            ("Sites", f"{numbers['sites']}"),
            ("Devices", f"{numbers['devices']}"),
            ("Hours recorded", f"{numbers['hours_recorded']:,.1f}"),
            ("Hours with calls", f"{numbers['hours_with_calls']:,.2f}"),
            ("Events", f"{numbers['events']:,}"),
            ("Awaiting review", f"{numbers['awaiting_review']:,}"),
        ]
    )
    message = (
        f"Calls found by model {model}; a call minute is a minute of audio that an event "
        "overlaps. Nights without audio are gaps, not zeros."
        if model
        else "No model has run yet: the figures show the audio recorded, calls are unknown."
    )
    scope_key = (sites, start, end)
    return (
        row,
        keep_view(figures_activity.calls_per_night(nightly), *scope_key),
        keep_view(figures_activity.night_heatmap(hourly), *scope_key),
        message,
    )
