"""Devices (``/devices``): per recorder, battery and temperature, gaps, failed files, last seen."""

from __future__ import annotations

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from dashboard import data, figures, figures_devices
from dashboard.components import (
    keep_view,
    refresh_input,
    refreshed,
    scope_inputs,
    simple_table,
)
from dashboard.expected import expected_minutes
from db.dashboard_devices import (
    device_nights,
    device_table,
    failed_files,
    recording_schedules,
)

dash.register_page(__name__, path="/devices", name="Devices", title="RanaWatch - Devices", order=4)

CHOOSE, SUMMARY, GRAPH, FAILED, EXPECTED = (
    "devices-choose",
    "devices-summary",
    "devices-graph",
    "devices-failed",
    "devices-expected",
)


def layout(**_query: str) -> html.Div:
    """The page: every device's summary, then one device in detail."""
    return html.Div(
        [
            html.H2("Device health"),
            html.Div(id=SUMMARY),
            html.H3("One device"),
            dcc.Dropdown(id=CHOOSE, placeholder="Choose a device", style={"maxWidth": "30rem"}),
            html.P(id=EXPECTED, style={"color": "#555"}),
            dcc.Graph(id=GRAPH, style={"height": "640px"}),
            html.H3("Failed files"),
            html.Div(id=FAILED),
        ]
    )


def summary_frame(devices: pd.DataFrame) -> pd.DataFrame:
    """The devices table as shown: last seen, recordings, failed files."""
    out = pd.DataFrame(
        {
            "Device": devices["device"],
            "Site": devices["site"],
            "Recordings": devices["recordings"],
            "Failed files": devices["failed"],
            "First recording (UTC)": devices["first_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "Last recording (UTC)": devices["last_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "Last ingested (UTC)": devices["last_ingested_at"].dt.strftime("%Y-%m-%d %H:%M"),
        }
    )
    return out


@callback(
    Output(SUMMARY, "children"),
    Output(CHOOSE, "options"),
    Output(CHOOSE, "value"),
    *scope_inputs(),
    dash.State(CHOOSE, "value"),
    refresh_input(),
)
def list_devices(
    sites: list[str] | None,
    start: str | None,
    end: str | None,
    chosen: int | None,
    _refresh: int | None = None,
) -> tuple[object, list[dict], object]:
    """The devices in scope (table and chooser); keeps the chosen one if still there (an
    auto-refresh then leaves the choice untouched)."""
    try:
        with data.reading() as session:
            scope, _ = data.build_scope(session, sites, start, end)
            devices = device_table(session=session, scope=scope)
    except data.Unavailable as exc:
        return html.P(str(exc)), [], None
    options = [
        {"label": f"{d.device} ({d.site})", "value": int(d.device_id)} for d in devices.itertuples()
    ]
    ids = [o["value"] for o in options]
    value = chosen if chosen in ids else (ids[0] if ids else None)
    if refreshed() and value == chosen:
        value = dash.no_update
    return simple_table("devices-table", summary_frame(devices)), options, value


@callback(
    Output(GRAPH, "figure"),
    Output(EXPECTED, "children"),
    Output(FAILED, "children"),
    Input(CHOOSE, "value"),
    *scope_inputs(),
    refresh_input(),
)
def show_device(
    device_id: int | None,
    sites: list[str] | None,
    start: str | None,
    end: str | None,
    _refresh: int | None = None,
) -> tuple[go.Figure, str, object]:
    """One device's nights against its expected minutes (from its schedule where the sites
    file declares one), and the failed files (of that device, else of all in scope)."""
    nights = expected = None
    try:
        with data.reading() as session:
            scope, _ = data.build_scope(session, sites, start, end)
            if device_id is not None:
                nights = device_nights(session=session, scope=scope, device_id=device_id)
                deployments, site_schedules = recording_schedules(
                    session=session, device_id=device_id
                )
                expected = expected_minutes(nights, deployments, site_schedules)
            failed = failed_files(session=session, scope=scope, device_id=device_id)
    except data.Unavailable as exc:
        return figures.empty_figure(str(exc)), "", None
    if nights is None:
        fig = figures.empty_figure("Choose a device")
    else:
        fig = figures_devices.device_health(
            nights,
            expected.minutes if expected else None,
            expected_label=expected.source if expected else "",
        )
    fig = keep_view(fig, device_id, sites, start, end)
    said = expected.text if expected else ""
    if failed.empty:
        return fig, said, html.P("No failed files.", id="devices-no-failed")
    shown = failed.rename(
        columns={
            "file": "File",
            "device": "Device",
            "recorded_at": "Recorded (UTC)",
            "ingested_at": "Ingested (UTC)",
            "error": "Reason",
        }
    )
    for column in ("Recorded (UTC)", "Ingested (UTC)"):
        shown[column] = pd.to_datetime(shown[column], utc=True).dt.strftime("%Y-%m-%d %H:%M")
    return fig, said, simple_table("devices-failed-table", shown, page_size=10)
