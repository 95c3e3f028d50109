"""The dashboard shell: header, the shared site and date controls, page container, routes.

Pages live in ``dashboard/pages/`` and register themselves (``dash.register_page``); this
module only builds the app around them. The site and date-range controls sit in the shell,
so they keep their values from page to page; every page's callbacks read them. Everything
is served by the app itself (Dash's and plotly.js's bundles included), so it works offline.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import dash
from dash import Input, Output, dcc, html
from flask import Response, current_app

from core.settings import Settings, get_settings
from dashboard import auth, data, media
from db.dashboard import season_nights, site_ids
from db.session import redact_url

logger = logging.getLogger(__name__)

PAGES_DIR = Path(__file__).resolve().parent / "pages"
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
HEALTH_PATH = "/health"
SITES, DATES, STATUS, SEASON = "scope-sites", "scope-dates", "scope-status", "scope-season"
# The timer of the auto-refresh: every page's data callbacks take its ticks as an input.
REFRESH = "refresh"
TILE_URL_KEY, TILE_ATTRIBUTION_KEY = "RANAWATCH_TILE_URL", "RANAWATCH_TILE_ATTRIBUTION"
REFRESH_KEY = "RANAWATCH_DASHBOARD_REFRESH_S"

_BAR = {"display": "flex", "gap": "1.2rem", "alignItems": "center", "flexWrap": "wrap"}
_HEADER = _BAR | {"padding": "0.6rem 1.5rem", "borderBottom": "1px solid #ddd"}


def create_app(database_url: str | None = None, *, settings: Settings | None = None) -> dash.Dash:
    """Build the dashboard for the database at ``database_url``.

    Nothing connects to the database here, and nothing ever creates it: a missing, empty
    or unreachable database makes ``/health`` answer 503 and every page say what to do.

    Parameters
    ----------
    database_url
        SQLAlchemy URL; default: ``RANAWATCH_DATABASE_URL``, else ``<data_dir>/ranawatch.db``.
    settings
        Default :func:`core.settings.get_settings` (reviewers, audio roots, map tiles,
        refresh interval).

    Returns
    -------
    dash.Dash
        The app; ``app.server`` is its Flask server (WSGI).
    """
    settings = settings or get_settings()
    url = database_url or settings.resolved_database_url
    app = dash.Dash(
        "dashboard",  # named after the package, so pages import as dashboard.pages.<name>
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        title="RanaWatch",
        update_title=None,
        serve_locally=True,
        suppress_callback_exceptions=True,
    )
    server = app.server
    server.config[data.DATABASE_URL_KEY] = url
    server.config[TILE_URL_KEY] = settings.dashboard_tile_url
    server.config[TILE_ATTRIBUTION_KEY] = settings.dashboard_tile_attribution
    server.config[REFRESH_KEY] = settings.dashboard_refresh_s
    auth.init_auth(
        server,
        settings.dashboard_reviewers,
        secret_key=settings.dashboard_secret_key,
        open_viewing=settings.dashboard_open_viewing,
    )
    media.init_media(server, list(settings.audio_roots))
    app.layout = shell
    # On the app itself, not dash's global list: that list goes to the first app made.
    app.callback(
        Output(SITES, "options"),
        Output(DATES, "min_date_allowed"),
        Output(DATES, "max_date_allowed"),
        Output(SEASON, "children"),
        Output(STATUS, "children"),
        Output(STATUS, "style"),
        Input(REFRESH, "n_intervals"),
        prevent_initial_call=True,
    )(refresh_shell)
    server.add_url_rule(HEALTH_PATH, "ranawatch_health", lambda: _health(url))
    logger.info("dashboard for database %s", redact_url(url))
    # What is loaded now (dash, plotly, pandas, the app: ~200,000 objects) lives as long as
    # the server: kept out of the garbage collector's full passes, which otherwise walked it
    # every few requests (0.2 s pauses on a busy 2-core machine, the p95 of the season's pages).
    gc.freeze()
    return app


def season_status() -> tuple[list[str], object, object, str, str | None]:
    """The sites, the first and last nights, the nights in words and the database's
    problem (or ``None``), as the shell shows them."""
    problem = data.database_problem(data.app_url())
    sites: list[str] = []
    first = last = None
    if problem is None:
        try:
            with data.reading() as session:
                sites = sorted(site_ids(session=session)["site"])
                first, last = season_nights(session=session)
        except data.Unavailable as exc:
            problem = str(exc)
        if problem is None and not sites:
            problem = (
                "The database has no recordings yet: run `ranawatch ingest FOLDER` to add some."
            )
    return sites, first, last, f"Nights recorded: {first} to {last}" if first else "", problem


def refresh_timer() -> dcc.Interval:
    """The auto-refresh timer (``RANAWATCH_DASHBOARD_REFRESH_S``; 0: disabled)."""
    seconds = float(current_app.config.get(REFRESH_KEY, 0) or 0)
    return dcc.Interval(
        id=REFRESH, interval=int(max(seconds, 1.0) * 1000), n_intervals=0, disabled=seconds <= 0
    )


def shell() -> html.Div:
    """The page around every page: header, shared controls, database status, content."""
    sites, first, last, season, problem = season_status()
    controls = html.Div(
        [
            dcc.Dropdown(
                id=SITES,
                options=sites,
                value=[],
                multi=True,
                placeholder="All sites",
                persistence=True,
                style={"minWidth": "18rem"},
            ),
            dcc.DatePickerRange(
                id=DATES,
                min_date_allowed=first,
                max_date_allowed=last,
                initial_visible_month=last,
                start_date_placeholder_text="First night",
                end_date_placeholder_text="Last night",
                clearable=True,
                persistence=True,
                display_format="YYYY-MM-DD",
            ),
            html.Span(season, id=SEASON, style={"color": "#555"}),
            refresh_timer(),
        ],
        style=_BAR | {"padding": "0.5rem 1.5rem", "background": "#f6f7f9"},
    )
    banner = html.Div(
        problem or "",
        id=STATUS,
        role="alert",
        style=_banner_style(problem),
    )
    return html.Div(
        [
            _header(),
            controls,
            banner,
            html.Main(dash.page_container, style={"padding": "0 1.5rem 2rem"}),
        ],
        style={"fontFamily": "system-ui, sans-serif"},
    )


def _banner_style(problem: str | None) -> dict:
    return {
        "display": "block" if problem else "none",
        "margin": "0.8rem 1.5rem",
        "padding": "0.8rem 1rem",
        "background": "#fff4e5",
        "border": "1px solid #E69F00",
        "borderRadius": "4px",
    }


def refresh_shell(_ticks: int | None) -> tuple[list[str], object, object, str, str, dict]:
    """On each refresh: new sites and nights, and whether the database still answers (the
    chosen sites and dates are inputs, never outputs, so they stay as the user set them)."""
    sites, first, last, season, problem = season_status()
    return sites, first, last, season, problem or "", _banner_style(problem)


def _header() -> html.Header:
    # dash.page_registry is kept in each page's ``order``.
    links = [
        dcc.Link(page["name"], href=page["relative_path"], style={"marginRight": "1rem"})
        for page in dash.page_registry.values()
    ]
    reviewer = auth.current_reviewer()
    who = (
        html.Span([f"Signed in as {reviewer} ", html.A("sign out", href=auth.LOGOUT_PATH)])
        if reviewer
        else html.A("Sign in to review", href=auth.LOGIN_PATH, id="sign-in-link")
    )
    return html.Header(
        [html.Strong("RanaWatch"), html.Nav(links), html.Span(who, style={"marginLeft": "auto"})],
        style=_HEADER,
    )


def _health(url: str) -> Response:
    # 200 only when the pages can work: the database exists, answers and is migrated.
    problem = data.database_problem(url)
    if problem:
        logger.warning("health: %s", problem)
        return Response(f"{problem}\n", status=503, mimetype="text/plain")
    return Response("ok", status=200, mimetype="text/plain")
