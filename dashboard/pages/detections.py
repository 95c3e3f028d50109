"""Detections and review (``/detections``): a paged table of events, each one's spectrogram
and audio, and Confirm / Reject / Unsure verdicts written through :mod:`db.reviews`.

Keys (``assets/review-keys.js``): ``c`` confirm, ``r`` reject, ``u`` unsure, ``n``/``j`` next
row, ``p``/``k`` previous. A verdict moves on to the next row, so a page reviews in a row.
"""

from __future__ import annotations

import logging
from pathlib import PurePath

import dash
import pandas as pd
from dash import Input, Output, State, callback, dash_table, dcc, html

from dashboard import auth, data, figures, figures_audio, media
from dashboard.components import (
    TABLE_STYLE,
    frame_records,
    plural,
    refresh_input,
    refreshed,
    scope_inputs,
    triggered_by,
)
from db.dashboard_devices import scope_devices
from db.dashboard_events import (
    UNREVIEWED,
    EventFilter,
    detections_page,
    event_labels,
)
from db.models import Verdict
from db.reviews import add_review, review_history

logger = logging.getLogger(__name__)

dash.register_page(
    __name__, path="/detections", name="Detections", title="RanaWatch - Detections", order=3
)

TABLE, COUNT, DEVICE, LABEL, SCORE, REVIEW = (
    "det-table",
    "det-count",
    "det-device",
    "det-label",
    "det-score",
    "det-review",
)
SPECTROGRAM, AUDIO, CAPTION, MAX_HZ, CONTEXT = (
    "det-spectrogram",
    "det-audio",
    "det-caption",
    "det-max-hz",
    "det-context",
)
CONFIRM, REJECT, UNSURE, NOTE, SAID, HISTORY = (
    "det-confirm",
    "det-reject",
    "det-unsure",
    "det-note",
    "det-said",
    "det-history",
)
NEXT, PREVIOUS = "det-next", "det-previous"
PAGE_SIZE = 20
VERDICT_OF = {CONFIRM: Verdict.CONFIRMED, REJECT: Verdict.REJECTED, UNSURE: Verdict.UNSURE}
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
_ROW = {"display": "flex", "gap": "0.8rem", "flexWrap": "wrap", "alignItems": "center"}


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
                style=_ROW,
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
            html.Div(
                [
                    html.Div(
                        [
                            html.P(id=CAPTION, children="Choose a row to hear and see the event."),
                            dcc.Graph(
                                id=SPECTROGRAM, figure=figures.empty_figure("No event chosen")
                            ),
                            html.Div(
                                [
                                    html.Label(
                                        [
                                            "Up to ",
                                            dcc.Input(
                                                id=MAX_HZ,
                                                type="number",
                                                value=3000,
                                                min=200,
                                                max=24000,
                                                step=100,
                                                debounce=True,
                                                style={"width": "6rem"},
                                            ),
                                            " Hz",
                                        ]
                                    ),
                                    html.Label(
                                        [
                                            "Context ",
                                            dcc.Input(
                                                id=CONTEXT,
                                                type="number",
                                                value=media.CONTEXT_S,
                                                min=0,
                                                max=30,
                                                step=1,
                                                debounce=True,
                                                style={"width": "4rem"},
                                            ),
                                            " s",
                                        ]
                                    ),
                                ],
                                style=_ROW,
                            ),
                            html.Audio(
                                id=AUDIO,
                                controls=True,
                                style={"width": "100%", "marginTop": "0.5rem"},
                            ),
                        ],
                        style={"flex": "3 1 560px", "minWidth": 0},
                    ),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.Button(
                                        "Confirm (c)", id=CONFIRM, style={"background": "#e8f5ee"}
                                    ),
                                    html.Button(
                                        "Reject (r)", id=REJECT, style={"background": "#fbeaea"}
                                    ),
                                    html.Button("Unsure (u)", id=UNSURE),
                                ],
                                style=_ROW,
                            ),
                            dcc.Textarea(
                                id=NOTE,
                                placeholder="Note (optional)",
                                style={"width": "100%", "height": "4rem", "marginTop": "0.5rem"},
                            ),
                            html.Div(
                                [
                                    html.Button("Previous (p)", id=PREVIOUS),
                                    html.Button("Next (n)", id=NEXT),
                                ],
                                style=_ROW,
                            ),
                            html.P(id=SAID, role="status"),
                            html.Div(id=HISTORY),
                        ],
                        style={"flex": "1 1 260px"},
                    ),
                ],
                style={"display": "flex", "gap": "1.5rem", "flexWrap": "wrap", "marginTop": "1rem"},
            ),
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


@callback(
    Output(SPECTROGRAM, "figure"),
    Output(AUDIO, "src"),
    Output(CAPTION, "children"),
    Output(HISTORY, "children"),
    Input(TABLE, "selected_rows"),
    State(TABLE, "data"),
    Input(MAX_HZ, "value"),
    Input(CONTEXT, "value"),
    State(AUDIO, "src"),
)
def show_event(
    selected: list[int] | None,
    rows: list[dict] | None,
    max_hz: float | None,
    context: float | None,
    playing: str | None = None,
) -> tuple[object, object, object, object]:
    """The chosen event's spectrogram (0 to ``max_hz``), its audio and its review history.

    When the chosen row moved (an auto-refresh) but the event and its audio are the ones
    shown, nothing is redrawn, so the audio goes on playing."""
    row = _chosen(selected, rows)
    if row is None:
        return (
            figures.empty_figure("No event chosen"),
            None,
            "Choose a row to hear and see the event.",
            None,
        )
    detection_id = int(row["id"])
    context = media.CONTEXT_S if context is None else float(context)
    caption = f"{row['label']} at {row['when']} ({row['site']}, {row['file']}, {row['span']} s)"
    src = f"/media/event/{detection_id}.wav?context={context:g}"
    if src == playing and triggered_by(TABLE):
        return dash.no_update, dash.no_update, dash.no_update, dash.no_update
    try:
        clip = media.load_clip(detection_id, context)
        power, times, freqs = media.power_spectrogram(clip)
        fig = figures_audio.spectrogram(
            power,
            times,
            freqs,
            event_s=(clip.event.start_s, clip.event.end_s),
            max_hz=float(max_hz or 3000),
        )
    except media.MediaRefused as exc:
        fig, src = figures.empty_figure(f"No audio: {exc}"), None
    return fig, src, caption, _history(detection_id)


def _chosen(selected: list[int] | None, rows: list[dict] | None) -> dict | None:
    if not selected or not rows or selected[0] >= len(rows):
        return None
    return rows[selected[0]]


def _history(detection_id: int) -> object:
    try:
        with data.reading() as session:
            reviews = [
                f"{r.verdict.value} by {r.reviewer}, {r.reviewed_at:%Y-%m-%d %H:%M} UTC"
                + (f": {r.note}" if r.note else "")
                for r in review_history(session=session, detection_id=detection_id)
            ]
    except data.Unavailable:
        return None
    if not reviews:
        return html.P("Not reviewed yet.", style={"color": "#555"})
    items = [html.Li(text) for text in reviews]
    return html.Div([html.Strong("History (newest first)"), html.Ul(items, id="det-history-list")])


@callback(
    Output(SAID, "children"),
    Output(TABLE, "data", allow_duplicate=True),
    Output(TABLE, "selected_rows", allow_duplicate=True),
    Output(NOTE, "value"),
    Input(CONFIRM, "n_clicks"),
    Input(REJECT, "n_clicks"),
    Input(UNSURE, "n_clicks"),
    State(NOTE, "value"),
    State(TABLE, "selected_rows"),
    State(TABLE, "data"),
    prevent_initial_call=True,
)
def submit_review(
    _confirm: int | None,
    _reject: int | None,
    _unsure: int | None,
    note: str | None,
    selected: list[int] | None,
    rows: list[dict] | None,
) -> tuple[str, object, object, object]:
    """Store the verdict of the button pressed for the chosen event, then move to the next."""
    verdict = VERDICT_OF.get(str(dash.ctx.triggered_id))
    return review(verdict, note, selected, rows)


def review(
    verdict: Verdict | None, note: str | None, selected: list[int] | None, rows: list[dict] | None
) -> tuple[str, object, object, object]:
    """Write ``verdict`` on the chosen row's event as the signed-in reviewer."""
    keep = dash.no_update
    row = _chosen(selected, rows)
    if verdict is None or row is None:
        return "Choose a row first.", keep, keep, keep
    reviewer = auth.current_reviewer()
    if reviewer is None:
        return "Sign in to review (the link at the top right).", keep, keep, keep
    try:
        with data.writing() as session:
            add_review(
                session=session,
                detection_id=int(row["id"]),
                verdict=verdict,
                reviewer=reviewer,
                note=(note or "").strip() or None,
            )
    except (data.Unavailable, LookupError, ValueError) as exc:
        return str(exc), keep, keep, keep
    logger.info("%s: detection %s %s", reviewer, row["id"], verdict.value)
    updated = [dict(r) for r in rows or []]
    index = selected[0] if selected else 0
    updated[index] |= {"verdict": verdict.value, "reviewer": reviewer}
    following = [min(index + 1, len(updated) - 1)]
    return f"Stored: {verdict.value} ({row['when']}).", updated, following, ""


@callback(
    Output(TABLE, "selected_rows", allow_duplicate=True),
    Input(NEXT, "n_clicks"),
    Input(PREVIOUS, "n_clicks"),
    State(TABLE, "selected_rows"),
    State(TABLE, "data"),
    prevent_initial_call=True,
)
def move(
    _next: int | None, _previous: int | None, selected: list[int] | None, rows: list[dict] | None
) -> list[int]:
    """Choose the next (or previous) row of the page."""
    if not rows:
        return []
    step = -1 if dash.ctx.triggered_id == PREVIOUS else 1
    index = (selected[0] + step) if selected else 0
    return [max(0, min(index, len(rows) - 1))]
