"""Pieces the pages share: the scope inputs, headline cards, tables that fit the page."""

from __future__ import annotations

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Input, dash_table, html
from dash.exceptions import MissingCallbackContextException

from dashboard.app import DATES, REFRESH, SITES

CARD = {
    "padding": "0.6rem 1rem",
    "border": "1px solid #ddd",
    "borderRadius": "6px",
    "minWidth": "9rem",
    "background": "#fff",
}
# A row of controls that wraps on a narrow screen.
ROW_STYLE = {"display": "flex", "gap": "0.8rem", "flexWrap": "wrap", "alignItems": "center"}
TABLE_STYLE = {
    "style_table": {"overflowX": "auto", "maxWidth": "100%"},
    "style_cell": {
        "textAlign": "left",
        "padding": "4px 8px",
        "fontFamily": "system-ui, sans-serif",
        "fontSize": "0.85rem",
        "whiteSpace": "normal",
        "height": "auto",
        "maxWidth": "28rem",
        "overflow": "hidden",
        "textOverflow": "ellipsis",
    },
    "style_header": {"fontWeight": "600", "background": "#f6f7f9"},
}


def scope_inputs() -> list[Input]:
    """The shared site and date-range controls, as callback inputs."""
    return [Input(SITES, "value"), Input(DATES, "start_date"), Input(DATES, "end_date")]


def refresh_input() -> Input:
    """The auto-refresh timer's ticks, the last input of every data callback (whose last
    parameter, ``_refresh``, defaults to ``None`` so the callback can be called directly)."""
    return Input(REFRESH, "n_intervals")


def triggered_by(component_id: str) -> bool:
    """Whether the running callback was started by a change of ``component_id``."""
    try:
        return dash.ctx.triggered_id == component_id
    except MissingCallbackContextException:  # called directly (tests, the benchmark)
        return False


def refreshed() -> bool:
    """Whether the running callback was started by the auto-refresh (not by the user)."""
    return triggered_by(REFRESH)


def keep_view(fig: go.Figure, *scope: object) -> go.Figure:
    """``fig`` with the user's zoom, pan and legend choices kept across refreshes of the
    same scope (plotly's ``uirevision``); another scope starts afresh."""
    fig.layout.uirevision = repr(scope)
    return fig


def card(label: str, value: str, *, card_id: str | None = None) -> html.Div:
    """A headline number with its label."""
    return html.Div(
        [
            html.Div(value, style={"fontSize": "1.5rem", "fontWeight": 600}),
            html.Div(label, style={"color": "#555", "fontSize": "0.85rem"}),
        ],
        style=CARD,
        id=card_id or f"card-{label.lower().replace(' ', '-')}",
    )


def cards(items: list[tuple[str, str]]) -> html.Div:
    """A row of :func:`card`."""
    return html.Div(
        [card(label, value) for label, value in items],
        style={"display": "flex", "gap": "0.8rem", "flexWrap": "wrap", "margin": "0.8rem 0"},
    )


def frame_records(frame: pd.DataFrame) -> list[dict]:
    """Rows of ``frame`` for a DataTable: missing values as empty cells."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def simple_table(
    table_id: str, frame: pd.DataFrame, *, page_size: int = 15
) -> dash_table.DataTable:
    """A read-only table of ``frame`` that scrolls inside the page instead of overflowing."""
    return dash_table.DataTable(
        id=table_id,
        columns=[{"name": c, "id": c} for c in frame.columns],
        data=frame_records(frame),
        page_size=page_size,
        sort_action="native",
        **TABLE_STYLE,
    )


def plural(n: int, noun: str) -> str:
    """``1 night``, ``2 nights``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
