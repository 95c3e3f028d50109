"""Map (``/map``): one marker per site, and per device with its own coordinates.

Offline by default (a longitude/latitude plot: no tile server, no CDN); with
``RANAWATCH_DASHBOARD_TILE_URL`` set, the markers sit on those map tiles.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Output, callback, dcc, html
from flask import current_app

from dashboard import data, figures, figures_devices
from dashboard.app import TILE_ATTRIBUTION_KEY, TILE_URL_KEY
from dashboard.components import keep_view, refresh_input, scope_inputs, simple_table
from db.dashboard import site_ids, site_table, with_site_names
from db.dashboard_activity import activity
from db.dashboard_devices import device_table
from db.dashboard_events import last_calls

dash.register_page(__name__, path="/map", name="Map", title="RanaWatch - Map", order=2)

GRAPH, MISSING = "map-graph", "map-missing"


def layout(**_query: str) -> html.Div:
    """The page: the map, and beside it what has no coordinates."""
    return html.Div(
        [
            html.H2("Map"),
            html.Div(
                [
                    dcc.Graph(id=GRAPH, style={"flex": "3 1 600px", "height": "620px"}),
                    html.Div(id=MISSING, style={"flex": "1 1 280px", "minWidth": 0}),
                ],
                style={"display": "flex", "gap": "1rem", "flexWrap": "wrap"},
            ),
        ]
    )


def map_points(
    sites: pd.DataFrame,
    devices: pd.DataFrame,
    activity: pd.DataFrame,
    calls: pd.DataFrame,
    now: datetime,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points for :func:`dashboard.figures.site_map`, and the sites and devices lacking
    coordinates (``name``, ``kind``, ``note``).

    ``activity``: rows with ``site``, ``minutes_recorded``, ``minutes_with_calls`` and
    ``events`` (e.g. :func:`db.dashboard.rollup` of the scope's activity by site)."""
    columns = ["minutes_recorded", "minutes_with_calls", "events"]
    per_site = activity.groupby("site")[columns].sum()
    last = calls.set_index("site")["last_call_at"] if not calls.empty else pd.Series(dtype=object)
    rows, missing = [], []
    for site in sites.itertuples():
        if site.site not in per_site.index:
            continue
        totals = per_site.loc[site.site]
        at = last.get(site.site)
        point = {
            "name": site.site,
            "kind": "site",
            "latitude": site.latitude,
            "longitude": site.longitude,
            "hours_recorded": totals["minutes_recorded"] / 60,
            "minutes_with_calls": totals["minutes_with_calls"],
            "events": int(totals["events"]),
            "days_since_call": (now - at).total_seconds() / 86400
            if at is not None and pd.notna(at)
            else float("nan"),
            "last_call": f"{at:%Y-%m-%d %H:%M} UTC" if at is not None and pd.notna(at) else "none",
        }
        if pd.isna(site.latitude) or pd.isna(site.longitude):
            missing.append(
                {"name": site.site, "kind": "site", "note": "no coordinates in the sites file"}
            )
        else:
            rows.append(point)
    for device in devices.itertuples():
        if pd.isna(device.latitude) or pd.isna(device.longitude):
            missing.append(
                {
                    "name": device.device,
                    "kind": f"device at {device.site or '?'}",
                    "note": "its recordings carry no position",
                }
            )
            continue
        rows.append(
            {
                "name": device.device,
                "kind": "device",
                "latitude": float(device.latitude),
                "longitude": float(device.longitude),
                "hours_recorded": 0.0,
                "minutes_with_calls": 0.0,
                "events": 0,
                "days_since_call": float("nan"),
                "last_call": f"site {device.site}",
            }
        )
    columns = [
        "name",
        "kind",
        "latitude",
        "longitude",
        "hours_recorded",
        "minutes_with_calls",
        "events",
        "days_since_call",
        "last_call",
    ]
    return pd.DataFrame(rows, columns=columns), pd.DataFrame(
        missing, columns=["name", "kind", "note"]
    )


def newest_in_scope(devices: pd.DataFrame) -> datetime:
    """The newest recording's time in scope (of :func:`db.dashboard_devices.device_table`):
    "days since the last call" counts back from it, so an old season reads as it did at its
    end, not as years of silence."""
    newest = devices["last_at"].max() if not devices.empty else None
    return newest.to_pydatetime() if newest is not None and pd.notna(newest) else datetime.now(UTC)


@callback(Output(GRAPH, "figure"), Output(MISSING, "children"), *scope_inputs(), refresh_input())
def update(
    sites: list[str] | None, start: str | None, end: str | None, _refresh: int | None = None
) -> tuple[go.Figure, object]:
    """The map and the list of what it cannot place."""
    try:
        with data.reading() as session:
            scope, _model = data.build_scope(session, sites, start, end)
            site_rows = site_table(session=session)
            if scope.sites:
                site_rows = site_rows[site_rows["site"].isin(scope.sites)]
            devices = device_table(session=session, scope=scope)
            per_site = with_site_names(
                activity(session=session, scope=scope, by=("site_id",)),
                site_ids(session=session),
            )
            points, missing = map_points(
                site_rows,
                devices,
                per_site,
                last_calls(session=session, scope=scope),
                newest_in_scope(devices),
            )
    except data.Unavailable as exc:
        return figures.empty_figure(str(exc)), None
    fig = figures_devices.site_map(
        points,
        tile_url=current_app.config.get(TILE_URL_KEY),
        attribution=current_app.config.get(TILE_ATTRIBUTION_KEY, ""),
    )
    side = [html.H4("Not on the map")]
    if missing.empty:
        side.append(html.P("Every site and device in range has coordinates."))
    else:
        shown = missing.rename(columns={"name": "Name", "kind": "Kind", "note": "Why"})
        side.append(simple_table("map-missing-table", shown, page_size=20))
    side.append(
        html.P(
            "Marker size: minutes with calls; colour: days since the last call "
            "before the newest recording in range (grey: none).",
            style={"color": "#555", "fontSize": "0.85rem"},
        )
    )
    return keep_view(fig, sites, start, end), side
