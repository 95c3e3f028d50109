"""The dashboard shell: a Dash Pages app, its header and a ``/health`` route.

Pages live in ``dashboard/pages/`` and register themselves (``dash.register_page``); this
module only builds the app around them. The database URL is kept in the Flask config, where
pages find it through :func:`dashboard.data.app_engine`. Everything is served by the app
itself (Dash's and plotly.js's bundles included), so it works without internet access.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dash
from dash import dcc, html
from flask import Response

from core.errors import ConfigError
from core.settings import get_settings
from dashboard.data import DATABASE_URL_KEY
from db.migrate import require_current_schema
from db.session import redact_url

logger = logging.getLogger(__name__)

PAGES_DIR = Path(__file__).resolve().parent / "pages"
HEALTH_PATH = "/health"

_HEADER_STYLE = {
    "display": "flex",
    "gap": "1.5rem",
    "alignItems": "baseline",
    "padding": "0.75rem 1.5rem",
    "borderBottom": "1px solid #ddd",
}


def create_app(database_url: str | None = None) -> dash.Dash:
    """Build the dashboard for the database at ``database_url``.

    Nothing connects to the database here: a database that is down makes ``/health`` answer
    503 and the pages say so, rather than keeping the server from starting.

    Parameters
    ----------
    database_url
        SQLAlchemy URL; default: ``RANAWATCH_DATABASE_URL``, else ``<data_dir>/ranawatch.db``.

    Returns
    -------
    dash.Dash
        The app; ``app.server`` is its Flask server (WSGI).
    """
    url = database_url or get_settings().resolved_database_url
    # Named after the package, so that pages import as ``dashboard.pages.<name>``.
    app = dash.Dash(
        "dashboard",
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        title="RanaWatch",
        update_title=None,
        serve_locally=True,
    )
    app.server.config[DATABASE_URL_KEY] = url
    app.layout = html.Div(
        [_header(), html.Main(dash.page_container, style={"padding": "0 1.5rem"})],
        style={"fontFamily": "system-ui, sans-serif"},
    )
    app.server.add_url_rule(HEALTH_PATH, "ranawatch_health", lambda: _health(url))
    logger.info("dashboard for database %s", redact_url(url))
    return app


def _header() -> html.Header:
    # dash.page_registry is kept in each page's ``order``.
    links = [
        dcc.Link(page["name"], href=page["relative_path"], style={"marginRight": "1rem"})
        for page in dash.page_registry.values()
    ]
    return html.Header([html.Strong("RanaWatch"), html.Nav(links)], style=_HEADER_STYLE)


def _health(url: str) -> Response:
    # 200 only when the pages can work: the database answers and has this version's schema.
    try:
        require_current_schema(url)
    except ConfigError as exc:
        logger.warning("health: %s", exc)
        return Response(f"{exc}\n", status=503, mimetype="text/plain")
    except Exception as exc:  # any driver or path error means the database does not answer
        logger.warning("health: database %s does not answer: %s", redact_url(url), exc)
        return Response(
            f"database {redact_url(url)} does not answer\n", status=503, mimetype="text/plain"
        )
    return Response("ok", status=200, mimetype="text/plain")
