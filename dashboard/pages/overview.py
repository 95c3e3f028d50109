"""Overview (``/``): calls per night at a site, and the site's latest recordings.

``/?site=Laguna+Pond`` opens a given site. The figure and table refresh every few minutes,
so new recordings show up as ingest and detection store them.
"""

from __future__ import annotations

import logging

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from core.errors import ConfigError
from dashboard import data, figures

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/", name="Overview", title="RanaWatch - Overview", order=0)

SITE = "overview-site"
STATUS = "overview-status"
NIGHTS = "overview-nights"
LATEST = "overview-latest"
REFRESH = "overview-refresh"
REFRESH_MS = 5 * 60 * 1000
_CELL = {"padding": "0.25rem 0.6rem", "borderBottom": "1px solid #eee", "textAlign": "left"}


def layout(site: str | None = None, **_other: str) -> html.Div:
    """The page: site chooser, calls-per-night figure, latest recordings.

    Parameters
    ----------
    site
        Site to show first (the ``?site=`` query parameter); default the first by name.
    """
    try:
        sites = data.site_names(data.app_engine())
        problem = "" if sites else "No sites yet: run `ranawatch ingest DIR` to add recordings."
    except data.DATABASE_ERRORS as exc:
        logger.warning("overview: cannot list sites: %s", exc)
        sites, problem = [], _unreadable()
    chosen = site if site in sites else (sites[0] if sites else None)
    return html.Div(
        [
            html.H2("Overview"),
            dcc.Dropdown(
                id=SITE, options=sites, value=chosen, clearable=False, style={"maxWidth": 400}
            ),
            html.P(problem, id=STATUS),
            dcc.Graph(id=NIGHTS, figure=figures.calls_per_night(data.empty_nights())),
            html.H3("Latest recordings"),
            html.Div(id=LATEST),
            dcc.Interval(id=REFRESH, interval=REFRESH_MS),
        ]
    )


@callback(
    Output(NIGHTS, "figure"),
    Output(LATEST, "children"),
    Output(STATUS, "children"),
    Input(SITE, "value"),
    Input(REFRESH, "n_intervals"),
)
def show_site(site: str | None, _tick: int | None = None) -> tuple[go.Figure, object, str]:
    """Figure, latest-recordings table and a one-line summary for ``site``."""
    empty = figures.calls_per_night(data.empty_nights())
    if not site:
        return empty, None, "Choose a site."
    try:
        overview = data.load_overview(data.app_engine(), site)
    except ConfigError as exc:
        return empty, None, str(exc)
    except data.DATABASE_ERRORS as exc:
        logger.warning("overview: cannot read site %s: %s", site, exc)
        return empty, None, _unreadable()
    return (
        figures.calls_per_night(overview.nights),
        recordings_table(overview.latest),
        _summary(overview),
    )


def recordings_table(frame: pd.DataFrame) -> html.Table:
    """A plain HTML table of ``frame`` (header row, then one row per recording)."""
    head = html.Tr([html.Th(column, style=_CELL) for column in frame.columns])
    rows = [
        html.Tr([html.Td("" if pd.isna(value) else str(value), style=_CELL) for value in row])
        for row in frame.itertuples(index=False)
    ]
    return html.Table(
        [html.Thead(head), html.Tbody(rows)],
        style={"borderCollapse": "collapse", "fontSize": "0.9rem"},
    )


def _summary(overview: data.SiteOverview) -> str:
    nights = overview.nights
    with_audio = int((nights["Minutes Recorded"] > 0).sum()) if not nights.empty else 0
    with_calls = int((nights["Events"] > 0).sum()) if not nights.empty else 0
    model = f"model {overview.model_tag}" if overview.model_tag else "no detection run yet"
    return (
        f"{overview.site}: {_count(overview.recordings, 'recording')}, "
        f"{_count(with_audio, 'night')} with audio, {with_calls} with calls ({model})."
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _unreadable() -> str:
    return (
        "The database cannot be read: check that it is running and up to date "
        "(`ranawatch db upgrade`); /health says more."
    )
