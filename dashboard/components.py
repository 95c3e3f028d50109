"""Pieces the pages share: the scope inputs, headline cards, tables that fit the page."""

from __future__ import annotations

import pandas as pd
from dash import Input, dash_table, html

from dashboard.app import DATES, SITES

CARD = {
    "padding": "0.6rem 1rem",
    "border": "1px solid #ddd",
    "borderRadius": "6px",
    "minWidth": "9rem",
    "background": "#fff",
}
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
