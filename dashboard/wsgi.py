"""WSGI entry point for gunicorn: ``gunicorn dashboard.wsgi:server``.

The app is built for the configured database (``RANAWATCH_*`` settings) when gunicorn
imports this module; nothing connects to the database until a request comes.
"""

from __future__ import annotations

from dashboard.app import create_app

app = create_app()
server = app.server
