"""Devices (``/devices``): per recorder, battery and temperature, gaps, failed files, last seen."""

from __future__ import annotations

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from dashboard import data, figures, figures_devices
from dashboard.components import scope_inputs, simple_table
from db.dashboard_events import device_nights, device_table, failed_files

dash.register_page(__name__, path="/devices", name="Devices", title="RanaWatch - Devices", order=4)

CHOOSE, SUMMARY, GRAPH, FAILED = (
    "devices-choose",
    "devices-summary",
    "devices-graph",
    "devices-failed",
)
# A full night of the device's schedule: what most of its nights record (gaps fall below).
FULL_NIGHT_QUANTILE = 0.9


def layout(**_query: str) -> html.Div:
    """The page: every device's summary, then one device in detail."""
    return html.Div(
        [
            html.H2("Device health"),
            html.Div(id=SUMMARY),
            html.H3("One device"),
            dcc.Dropdown(id=CHOOSE, placeholder="Choose a device", style={"maxWidth": "30rem"}),
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


def expected_minutes(nights: pd.DataFrame) -> float | None:
    """Minutes a full night records, from the device's own nights (``None``: no nights)."""
    if nights.empty:
        return None
    return float(nights["minutes_recorded"].quantile(FULL_NIGHT_QUANTILE))


@callback(
    Output(SUMMARY, "children"),
    Output(CHOOSE, "options"),
    Output(CHOOSE, "value"),
    *scope_inputs(),
    dash.State(CHOOSE, "value"),
)
def list_devices(
    sites: list[str] | None, start: str | None, end: str | None, chosen: int | None
) -> tuple[object, list[dict], int | None]:
    """The devices in scope (table and chooser); keeps the chosen one if still there."""
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
    return simple_table("devices-table", summary_frame(devices)), options, value


@callback(
    Output(GRAPH, "figure"), Output(FAILED, "children"), Input(CHOOSE, "value"), *scope_inputs()
)
def show_device(
    device_id: int | None, sites: list[str] | None, start: str | None, end: str | None
) -> tuple[go.Figure, object]:
    """One device's nights and the failed files (of that device, else of all in scope)."""
    try:
        with data.reading() as session:
            scope, _ = data.build_scope(session, sites, start, end)
            nights = (
                device_nights(session=session, scope=scope, device_id=device_id)
                if device_id is not None
                else None
            )
            failed = failed_files(session=session, scope=scope, device_id=device_id)
    except data.Unavailable as exc:
        return figures.empty_figure(str(exc)), None
    fig = (
        figures.empty_figure("Choose a device")
        if nights is None
        else figures_devices.device_health(nights, expected_minutes(nights))
    )
    if failed.empty:
        return fig, html.P("No failed files.", id="devices-no-failed")
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
    return fig, simple_table("devices-failed-table", shown, page_size=10)
