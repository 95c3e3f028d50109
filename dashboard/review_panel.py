"""The review panel of the detections page (:mod:`dashboard.pages.detections`): the chosen
row's event, its spectrogram (0 to a chosen frequency) and audio (with context), its review
history, and Confirm / Reject / Unsure verdicts written through :mod:`db.reviews` as the
signed-in reviewer; a verdict moves on to the next row, so a page reviews in a row. Keys
(``assets/review-keys.js``): ``c`` confirm, ``r`` reject, ``u`` unsure, ``n``/``j`` next
row, ``p``/``k`` previous. The page calls :func:`register` for the panel's callbacks.
"""

from __future__ import annotations

import logging

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboard import auth, data, figures, figures_audio, media
from dashboard.components import ROW_STYLE, triggered_by
from db.models import Verdict
from db.reviews import add_review, review_history

logger = logging.getLogger(__name__)

# The page's table of events, whose chosen row the panel shows and reviews.
TABLE = "det-table"
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
VERDICT_OF = {CONFIRM: Verdict.CONFIRMED, REJECT: Verdict.REJECTED, UNSURE: Verdict.UNSURE}


def panel() -> html.Div:
    """The chosen event (spectrogram, frequency and context, audio) beside the verdict
    buttons, the note, previous / next and the review history."""
    return html.Div(
        [
            html.Div(
                [
                    html.P(id=CAPTION, children="Choose a row to hear and see the event."),
                    dcc.Graph(id=SPECTROGRAM, figure=figures.empty_figure("No event chosen")),
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
                        style=ROW_STYLE,
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
                            html.Button("Confirm (c)", id=CONFIRM, style={"background": "#e8f5ee"}),
                            html.Button("Reject (r)", id=REJECT, style={"background": "#fbeaea"}),
                            html.Button("Unsure (u)", id=UNSURE),
                        ],
                        style=ROW_STYLE,
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
                        style=ROW_STYLE,
                    ),
                    html.P(id=SAID, role="status"),
                    html.Div(id=HISTORY),
                ],
                style={"flex": "1 1 260px"},
            ),
        ],
        style={"display": "flex", "gap": "1.5rem", "flexWrap": "wrap", "marginTop": "1rem"},
    )


def register() -> None:
    """Register the panel's callbacks with Dash; the page calls this as it is executed.

    Dash executes each page module afresh for every app it builds, and the callbacks
    ``dash.callback`` collects go to the next app set up: callbacks decorated at the import
    of this module, which runs once, would reach the first app only.
    """
    callback(
        Output(SPECTROGRAM, "figure"),
        Output(AUDIO, "src"),
        Output(CAPTION, "children"),
        Output(HISTORY, "children"),
        Input(TABLE, "selected_rows"),
        State(TABLE, "data"),
        Input(MAX_HZ, "value"),
        Input(CONTEXT, "value"),
        State(AUDIO, "src"),
    )(show_event)
    callback(
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
    )(submit_review)
    callback(
        Output(TABLE, "selected_rows", allow_duplicate=True),
        Input(NEXT, "n_clicks"),
        Input(PREVIOUS, "n_clicks"),
        State(TABLE, "selected_rows"),
        State(TABLE, "data"),
        prevent_initial_call=True,
    )(move)


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


def move(
    _next: int | None, _previous: int | None, selected: list[int] | None, rows: list[dict] | None
) -> list[int]:
    """Choose the next (or previous) row of the page."""
    if not rows:
        return []
    step = -1 if dash.ctx.triggered_id == PREVIOUS else 1
    index = (selected[0] + step) if selected else 0
    return [max(0, min(index, len(rows) - 1))]
