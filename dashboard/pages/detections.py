"""Detections (``/detections``): the model's events in the chosen sites and nights, filtered
by device, label, score and review state, in a table paged in the database; an auto-refresh
keeps the review in progress. The chosen row is shown, heard and reviewed in the panel below
the table (:mod:`dashboard.review_panel`, whose callbacks this page registers).
"""

from __future__ import annotations

from pathlib import PurePath

import dash
import pandas as pd
from dash import Input, Output, State, callback, dash_table, dcc, html

from dashboard import data, review_panel
from dashboard.components import (
    ROW_STYLE,
    TABLE_STYLE,
    frame_records,
    plural,
    refresh_input,
    refreshed,
    scope_inputs,
)
from dashboard.review_panel import TABLE
from db.dashboard_devices import scope_devices
from db.dashboard_events import (
    UNREVIEWED,
    EventFilter,
    detections_page,
    event_labels,
)
from db.models import Verdict

dash.register_page(
    __name__, path="/detections", name="Detections", title="RanaWatch - Detections", order=3
)
review_panel.register()

COUNT, DEVICE, LABEL, SCORE, REVIEW = (
    "det-count",
    "det-device",
    "det-label",
    "det-score",
    "det-review",
)
PAGE_SIZE = 20
COLUMNS = [
    ("when", "Start (local)"),
    ("site", "Site"),
    ("device", "Device"),
    ("file", "File"),
    ("label", "Label"),
    ("span", "Event (s)"),
    ("score", "Score"),
    ("verdict", "Review"),
    ("reviewer", "By"),
]
REVIEW_OPTIONS = [
    {"label": "Any review state", "value": ""},
    {"label": "Not reviewed", "value": UNREVIEWED},
    *({"label": v.value.capitalize(), "value": v.value} for v in Verdict),
]


def layout(**_query: str) -> html.Div:
    """The page: filters, the paged table, the chosen event and the review buttons."""
    return html.Div(
        [
            html.H2("Detections and review"),
            html.Div(
                [
                    dcc.Dropdown(id=DEVICE, placeholder="Any device", style={"minWidth": "16rem"}),
                    dcc.Dropdown(id=LABEL, placeholder="Any label", style={"minWidth": "12rem"}),
                    dcc.Dropdown(
                        id=REVIEW,
                        options=REVIEW_OPTIONS,
                        value="",
                        clearable=False,
                        style={"minWidth": "12rem"},
                    ),
                    html.Div(
                        [
                            html.Span("Score"),
                            dcc.RangeSlider(
                                id=SCORE,
                                min=0,
                                max=1,
                                step=0.05,
                                value=[0, 1],
                                marks={0: "0", 0.5: "0.5", 1: "1"},
                                tooltip={"placement": "bottom"},
                            ),
                        ],
                        style={"minWidth": "16rem"},
                    ),
                ],
                style=ROW_STYLE,
            ),
            html.P(id=COUNT, style={"color": "#555"}),
            dash_table.DataTable(
                id=TABLE,
                columns=[{"name": name, "id": key} for key, name in COLUMNS],
                page_action="custom",
                page_current=0,
                page_size=PAGE_SIZE,
                row_selectable="single",
                selected_rows=[],
                **TABLE_STYLE,
                style_data_conditional=[
                    {
                        "if": {"filter_query": '{verdict} = "confirmed"'},
                        "backgroundColor": "#e8f5ee",
                    },
                    {
                        "if": {"filter_query": '{verdict} = "rejected"'},
                        "backgroundColor": "#fbeaea",
                    },
                ],
            ),
            review_panel.panel(),
        ]
    )


def table_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Events as the table shows them (``id`` kept, hidden)."""
    offset = pd.to_timedelta(frame["utc_offset_min"].fillna(0).astype(float), unit="m")
    start = pd.to_datetime(frame["recorded_at"], utc=True).dt.tz_localize(None) + offset
    start = start + pd.to_timedelta(frame["start_s"].astype(float), unit="s")
    return pd.DataFrame(
        {
            "id": frame["id"].astype(int),
            "when": start.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "site": frame["site"],
            "device": frame["device"],
            "file": [PurePath(p).name for p in frame["file"]],
            "label": frame["label"],
            "span": [f"{a:g}-{b:g}" for a, b in zip(frame["start_s"], frame["end_s"], strict=True)],
            "score": frame["max_score"].astype(float).round(3),
            "verdict": frame["verdict"].fillna(""),
            "reviewer": frame["reviewer"].fillna(""),
        }
    )


@callback(Output(DEVICE, "options"), Output(LABEL, "options"), *scope_inputs(), refresh_input())
def filter_options(
    sites: list[str] | None, start: str | None, end: str | None, _refresh: int | None = None
) -> tuple[list, list]:
    """Devices and labels to filter by."""
    try:
        with data.reading() as session:
            scope, _ = data.build_scope(session, sites, start, end)
            devices = scope_devices(session=session, scope=scope)
            labels = event_labels(session=session, scope=scope)
    except data.Unavailable:
        return [], []
    serials = [{"label": d.device, "value": d.serial} for d in devices.itertuples()]
    return serials, labels


@callback(
    Output(TABLE, "data"),
    Output(TABLE, "page_count"),
    Output(COUNT, "children"),
    Output(TABLE, "selected_rows"),
    *scope_inputs(),
    Input(DEVICE, "value"),
    Input(LABEL, "value"),
    Input(SCORE, "value"),
    Input(REVIEW, "value"),
    Input(TABLE, "page_current"),
    Input(TABLE, "page_size"),
    refresh_input(),
    State(TABLE, "selected_rows"),
    State(TABLE, "data"),
)
def load_page(
    sites: list[str] | None,
    start: str | None,
    end: str | None,
    device: str | None,
    label: str | None,
    score: list[float] | None,
    review: str | None,
    page: int | None,
    page_size: int | None,
    _refresh: int | None = None,
    selected: list[int] | None = None,
    shown: list[dict] | None = None,
) -> tuple[object, object, str, object]:
    """One page of events (paged in SQL) and how many match. An auto-refresh keeps the
    review in progress: the chosen event stays chosen (wherever it moved on the page)."""
    score = score or [0.0, 1.0]
    filters = EventFilter(
        device=device,
        label=label,
        score_min=float(score[0]),
        score_max=float(score[1]),
        review=review or None,
    )
    size = page_size or PAGE_SIZE
    try:
        with data.reading() as session:
            scope, model = data.build_scope(session, sites, start, end)
            frame, total = detections_page(
                session=session, scope=scope, filters=filters, offset=(page or 0) * size, limit=size
            )
    except data.Unavailable as exc:
        return [], 1, str(exc), []
    if not model:
        return [], 1, "No model has run yet: there are no detections to review.", []
    pages = max(1, -(-total // size))
    text = f"{plural(total, 'event')} of model {model}; page {(page or 0) + 1} of {pages}."
    rows = frame_records(table_rows(frame))
    if not refreshed():
        return rows, pages, text, []
    rows_out, chosen = keep_review(rows, shown, selected)
    return rows_out, pages, text, chosen


def keep_review(
    rows: list[dict], shown: list[dict] | None, selected: list[int] | None
) -> tuple[object, object]:
    """The table's rows and chosen row after an auto-refresh read ``rows``.

    Nothing changes when the page reads the same; otherwise the chosen event stays chosen
    where it moved to; when it left the page (reviewed meanwhile under a "Not reviewed"
    filter, say), the page is left as it was, so a review in progress is not cut short.
    Returns ``dash.no_update`` for what is unchanged (its audio then keeps playing).
    """
    keep = dash.no_update
    if rows == (shown or []):
        return keep, keep
    if not selected or not shown or selected[0] >= len(shown):
        return rows, keep if not selected else []
    chosen_id = shown[selected[0]]["id"]
    ids = [row["id"] for row in rows]
    if chosen_id not in ids:
        return keep, keep
    index = ids.index(chosen_id)
    return rows, keep if index == selected[0] else [index]
