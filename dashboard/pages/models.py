"""Models (``/models``): model versions side by side, before a new one replaces the old.

The table says what each version is (trained here, on how many clips, its validation and
test average precision) and what it did in the chosen sites and nights (recordings scored
and called positive, events, and against the reviews: confirmed calls it finds, rejected
detections it avoids). Below, calls per night by version and how two versions agree.
"""

from __future__ import annotations

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html

from dashboard import data, figures, figures_models
from dashboard.components import (
    keep_view,
    plural,
    refresh_input,
    refreshed,
    scope_inputs,
    simple_table,
)
from db.dashboard_models import agreement, model_versions, nightly_by_version, version_names

dash.register_page(__name__, path="/models", name="Models", title="RanaWatch - Models", order=6)

TABLE, NIGHTS, FIRST, SECOND, AGREEMENT, SAID, MESSAGE = (
    "models-table",
    "models-nights",
    "models-first",
    "models-second",
    "models-agreement",
    "models-said",
    "models-message",
)
_CHOOSER = {"minWidth": "18rem"}


def layout(**_query: str) -> html.Div:
    """The page: the versions table, calls per night by version, two versions compared."""
    return html.Div(
        [
            html.H2("Model versions"),
            html.P(
                "Counts cover the chosen sites and nights; a minute with calls is a minute of "
                "audio that an event of the version's target labels overlaps, as on the "
                "Overview. A version finds a reviewed call "
                "when one of its events overlaps a detection that reviewers confirmed, and "
                "avoids a rejected one when none does (whichever version's detection was "
                "reviewed, so the reviews favour the calls older versions found). Average "
                "precision is on the training data set's validation and test splits.",
                style={"color": "#555", "maxWidth": "60rem"},
            ),
            html.P(id=MESSAGE, style={"color": "#555"}),
            html.Div(id=TABLE),
            dcc.Graph(id=NIGHTS, style={"height": "440px"}),
            html.H3("Two versions on the same recordings"),
            html.Div(
                [
                    dcc.Dropdown(id=FIRST, clearable=False, style=_CHOOSER),
                    html.Span("against"),
                    dcc.Dropdown(id=SECOND, clearable=False, style=_CHOOSER),
                ],
                style={"display": "flex", "gap": "0.8rem", "alignItems": "center"},
            ),
            html.P(id=SAID, style={"color": "#555"}),
            dcc.Graph(
                id=AGREEMENT,
                config={"displayModeBar": False},
                style={"height": "360px", "maxWidth": "44rem"},
            ),
        ]
    )


def _of(found: int, total: int) -> str:
    """``3 of 4`` (empty when there is nothing to count)."""
    return f"{found:,} of {total:,}" if total else ""


def _ap(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.3f}"


def _hours(minutes: pd.Series) -> pd.Series:
    return (minutes / 60.0).map("{:,.1f}".format)


def table_frame(versions: pd.DataFrame) -> pd.DataFrame:
    """The versions table as shown."""
    analysed, calls = versions["minutes_analysed"], versions["minutes_with_calls"]
    return pd.DataFrame(
        {
            "Model": versions["model"],
            "Registered (UTC)": pd.to_datetime(versions["registered_at"], utc=True).dt.strftime(
                "%Y-%m-%d %H:%M"
            ),
            "Checkpoint": versions["checkpoint"],
            "Trained here on": [
                f"{int(n):,} clips" if trained and pd.notna(n) else ("yes" if trained else "")
                for trained, n in zip(
                    versions["trained_here"], versions["training_clips"], strict=True
                )
            ],
            "Validation AP": versions["validation_ap"].map(_ap),
            "Test AP": versions["test_ap"].map(_ap),
            "Recordings scored": versions["recordings_scored"].map("{:,}".format),
            "Failed": versions["recordings_failed"].map("{:,}".format),
            "Hours analysed": _hours(analysed),
            "Hours with calls": [
                f"{c / 60:,.2f} ({c / a:.1%})" if a else ""
                for c, a in zip(calls, analysed, strict=True)
            ],
            "Events": versions["events"].map("{:,}".format),
            "Confirmed calls found": [
                _of(f, n)
                for f, n in zip(versions["confirmed_found"], versions["confirmed"], strict=True)
            ],
            "Rejected avoided": [
                _of(f, n)
                for f, n in zip(versions["rejected_avoided"], versions["rejected"], strict=True)
            ],
        }
    )


def default_pair(versions: pd.DataFrame) -> tuple[int | None, int | None]:
    """The newest two versions that scored recordings in scope (else the newest two)."""
    ran = versions[versions["recordings_scored"] > 0]["model_version_id"].tolist()
    ids = ran if len(ran) >= 2 else versions["model_version_id"].tolist()
    ids = [int(i) for i in ids]
    return (ids[0] if ids else None), (ids[1] if len(ids) > 1 else None)


@callback(
    Output(TABLE, "children"),
    Output(NIGHTS, "figure"),
    Output(FIRST, "options"),
    Output(FIRST, "value"),
    Output(SECOND, "options"),
    Output(SECOND, "value"),
    Output(MESSAGE, "children"),
    *scope_inputs(),
    State(FIRST, "value"),
    State(SECOND, "value"),
    refresh_input(),
)
def update(
    sites: list[str] | None,
    start: str | None,
    end: str | None,
    first: int | None = None,
    second: int | None = None,
    _refresh: int | None = None,
) -> tuple[object, go.Figure, list[dict], object, list[dict], object, str]:
    """The versions in scope, calls per night by version, and the choosers of the two
    versions to compare (kept when still there, else the newest two that ran)."""
    try:
        with data.reading() as session:
            scope, _ = data.build_scope(session, sites, start, end)
            nightly = nightly_by_version(session=session, scope=scope)
            versions = model_versions(session=session, scope=scope, nightly=nightly)
    except data.Unavailable as exc:
        return None, figures.empty_figure(str(exc)), [], None, [], None, str(exc)
    if versions.empty:
        message = "No model version yet: score recordings (`ranawatch ingest`) or train one."
        return None, figures.empty_figure(message), [], None, [], None, message
    names = dict(zip(versions["model_version_id"].astype(int), versions["model"], strict=True))
    options = [{"label": name, "value": vid} for vid, name in names.items()]
    new_first, new_second = default_pair(versions)
    first = first if first in names else new_first
    second = second if second in names else new_second
    if refreshed():
        first = second = dash.no_update  # an auto-refresh keeps the user's choice
    fig = figures_models.calls_per_night_by_model(nightly, names)
    message = f"{plural(len(names), 'model version')} registered."
    table = simple_table("models-versions", table_frame(versions), page_size=10)
    return table, keep_view(fig, sites, start, end), options, first, options, second, message


@callback(
    Output(AGREEMENT, "figure"),
    Output(SAID, "children"),
    Input(FIRST, "value"),
    Input(SECOND, "value"),
    *scope_inputs(),
    refresh_input(),
)
def compare(
    first: int | None,
    second: int | None,
    sites: list[str] | None,
    start: str | None,
    end: str | None,
    _refresh: int | None = None,
) -> tuple[go.Figure, str]:
    """How the two chosen versions called the recordings both scored in scope."""
    if first is None or second is None or first == second:
        return figures.empty_figure("Choose two different versions."), ""
    try:
        with data.reading() as session:
            scope, _ = data.build_scope(session, sites, start, end)
            pairs = agreement(session=session, scope=scope, first_id=first, second_id=second)
            names = version_names(session=session, ids=[first, second])
    except data.Unavailable as exc:
        return figures.empty_figure(str(exc)), str(exc)
    found = figures_models.agreement_of(pairs)
    a, b = names.get(first, str(first)), names.get(second, str(second))
    fig = figures_models.agreement_figure(found, a, b)
    if not found.recordings:
        return fig, f"{a} and {b} have not both scored any recording in this scope."
    kappa = found.kappa
    said = (
        f"They call {found.share_agreeing:.0%} of {found.recordings:,} recordings the same way "
        f"(Cohen's kappa {kappa:.2f}: 1 is full agreement, 0 no better than chance). "
        f"Only {a} hears calls in {found.first_only:,}, only {b} in {found.second_only:,}."
        if kappa is not None
        else f"They call every one of the {plural(found.recordings, 'recording')} the same way."
    )
    return keep_view(fig, first, second, sites, start, end), said
