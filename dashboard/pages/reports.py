"""Reports (``/reports``): the site workbook of ``ranawatch report``, and its CSV, to download."""

from __future__ import annotations

import tempfile
from pathlib import Path

import dash
from dash import Input, Output, State, callback, dcc, html

from core.errors import RanaWatchError
from core.report.excel import write_report_workbook, write_results_csv
from core.report.tables import build_report
from dashboard import data
from dashboard.app import DATES, SITES
from db.dashboard import site_table
from db.reports import load_site_report

dash.register_page(__name__, path="/reports", name="Reports", title="RanaWatch - Reports", order=5)

SITE, XLSX, CSV, DOWNLOAD, MESSAGE = (
    "reports-site",
    "reports-xlsx",
    "reports-csv",
    "reports-download",
    "reports-message",
)
_BUTTON = {"padding": "0.5rem 1rem", "marginRight": "0.6rem"}


def layout(**_query: str) -> html.Div:
    """The page: a site, the range of the shared date control, two download buttons."""
    try:
        with data.reading() as session:
            sites = list(site_table(session=session)["site"])
    except data.Unavailable:
        sites = []
    return html.Div(
        [
            html.H2("Reports"),
            html.P(
                [
                    "The per-site workbook is the one ",
                    html.Code("ranawatch report"),
                    " writes (Results, Detections, Nights, Survey and About sheets), for the "
                    "nights chosen above; the CSV holds its Results rows. Reviews count as "
                    "soon as they are made.",
                ]
            ),
            dcc.Dropdown(
                id=SITE,
                options=sites,
                value=sites[0] if sites else None,
                clearable=False,
                style={"maxWidth": "24rem", "marginBottom": "0.8rem"},
            ),
            html.Button("Download workbook (.xlsx)", id=XLSX, style=_BUTTON),
            html.Button("Download CSV", id=CSV, style=_BUTTON),
            html.P(id=MESSAGE, style={"marginTop": "0.8rem"}),
            dcc.Download(id=DOWNLOAD),
        ]
    )


@callback(Output(SITE, "value"), Input(SITES, "value"), State(SITE, "value"))
def follow_scope(sites: list[str] | None, current: str | None) -> str | None:
    """Choosing one site above chooses it here."""
    return sites[0] if sites else dash.no_update if current else None


@callback(
    Output(DOWNLOAD, "data"),
    Output(MESSAGE, "children"),
    Input(XLSX, "n_clicks"),
    Input(CSV, "n_clicks"),
    State(SITE, "value"),
    State(DATES, "start_date"),
    State(DATES, "end_date"),
    prevent_initial_call=True,
)
def download(
    _xlsx: int | None, _csv: int | None, site: str | None, start: str | None, end: str | None
) -> tuple[object, str]:
    """Build the report of ``site`` for the chosen nights and send it."""
    return build_download("csv" if dash.ctx.triggered_id == CSV else "xlsx", site, start, end)


def build_download(
    kind: str, site: str | None, start: str | None, end: str | None
) -> tuple[object, str]:
    """The workbook (``kind="xlsx"``) or Results CSV of ``site``, as ``dcc.Download`` data."""
    if not site:
        return dash.no_update, "Choose a site."
    first, last = data.parse_day(start), data.parse_day(end)
    try:
        with data.reading() as session:
            report = load_site_report(session=session, site=site, date_from=first, date_to=last)
        tables = build_report(
            report.recordings, report.detections, report.window_summary, report.meta
        )
        span = f"_{first or 'start'}_{last or 'end'}" if first or last else ""
        name = f"{site.replace(' ', '_')}{span}.{kind}"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            if kind == "csv":
                write_results_csv(path, tables.results)
            else:
                write_report_workbook(path, tables)
            content = path.read_bytes()
    except (data.Unavailable, RanaWatchError) as exc:
        return dash.no_update, str(exc)
    return dcc.send_bytes(content, name), f"{name}: {len(tables.results)} recordings."
