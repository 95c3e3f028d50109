"""Temperature (``/temperature``): calling against the AudioMoth's own temperature."""

from __future__ import annotations

import dash
import plotly.graph_objects as go
from dash import Output, callback, dcc, html

from dashboard import data, figures, figures_temperature, stats
from dashboard.components import keep_view, plural, refresh_input, scope_inputs
from db.dashboard_activity import temperature_calling

dash.register_page(
    __name__, path="/temperature", name="Temperature", title="RanaWatch - Temperature", order=1
)

BINS, NIGHTS, SUMMARY = "temperature-bins", "temperature-nights", "temperature-summary"
SENSOR_NOTE = (
    "The temperature is the AudioMoth's own sensor, inside its case: it is the air around "
    "the recorder (warmed by sun on the case), not the water the frogs call from."
)


def layout(**_query: str) -> html.Div:
    """The page: binned share with calls and its logistic fit, then nights by date."""
    return html.Div(
        [
            html.H2("Calling and temperature"),
            html.P(SENSOR_NOTE, id="temperature-note", style={"fontStyle": "italic"}),
            html.P(id=SUMMARY),
            dcc.Graph(id=BINS, style={"height": "440px"}),
            dcc.Graph(id=NIGHTS, style={"height": "420px"}),
        ]
    )


@callback(
    Output(BINS, "figure"),
    Output(NIGHTS, "figure"),
    Output(SUMMARY, "children"),
    *scope_inputs(),
    refresh_input(),
)
def update(
    sites: list[str] | None, start: str | None, end: str | None, _refresh: int | None = None
) -> tuple[go.Figure, go.Figure, str]:
    """Bins with the fitted curve, nights coloured by date, and the fit in words."""
    try:
        with data.reading() as session:
            scope, _model = data.build_scope(session, sites, start, end)
            per_degree, per_night = temperature_calling(session=session, scope=scope)
    except data.Unavailable as exc:
        empty = figures.empty_figure(str(exc))
        return empty, empty, str(exc)
    bins = stats.bin_by_temperature(per_degree)
    fit = stats.fit_logistic(bins)
    summary = describe_fit(fit, int(per_degree["recordings"].sum()))
    return (
        keep_view(figures_temperature.temperature_bins(bins, fit), sites, start, end),
        keep_view(
            figures_temperature.temperature_nights(stats.nights_by_temperature(per_night)),
            sites,
            start,
            end,
        ),
        summary,
    )


def describe_fit(fit: stats.LogisticFit | None, recordings: int) -> str:
    """The fit in one sentence."""
    if recordings == 0:
        return "No analysed recordings with a temperature in this range."
    if fit is None:
        counted = plural(recordings, "analysed recording")
        return f"{counted}: too few temperatures or calls to fit a curve."
    trend = "rises" if fit.slope > 0 else "falls"
    return (
        f"{plural(recordings, 'analysed recording')}: calling {trend} with temperature, "
        f"reaching half of its maximum ({100 * fit.p_max:.0f}% of recordings) at "
        f"{fit.t50_c:.1f} °C."
    )
