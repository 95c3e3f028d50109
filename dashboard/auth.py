"""Reviewer sign-in: configured accounts (hashed passwords), a login page and a session cookie.

Accounts come from ``RANAWATCH_DASHBOARD_REVIEWERS`` (``NAME=HASH,...``, hashes made by
``ranawatch hash-password``). Viewing is open unless ``RANAWATCH_DASHBOARD_OPEN_VIEWING`` is
false; writing a review always needs a signed-in reviewer, whose name the review records.
"""

from __future__ import annotations

import html
import logging
import secrets
from urllib.parse import urlparse

import flask
from werkzeug.security import check_password_hash, generate_password_hash

logger = logging.getLogger(__name__)

ACCOUNTS_KEY = "RANAWATCH_REVIEWERS"
OPEN_KEY = "RANAWATCH_OPEN_VIEWING"
LOGIN_PATH, LOGOUT_PATH = "/login", "/logout"
# Reachable without signing in even when viewing is closed.
_PUBLIC = (LOGIN_PATH, "/health", "/_dash-component-suites/", "/assets/", "/_favicon.ico")


def hash_password(password: str) -> str:
    """A salted hash of ``password`` for the reviewer accounts setting."""
    return generate_password_hash(password)


def init_auth(
    server: flask.Flask, accounts: dict[str, str], *, secret_key: str | None, open_viewing: bool
) -> None:
    """Add ``/login`` and ``/logout`` to ``server`` and, unless viewing is open, require
    sign-in for everything else."""
    server.secret_key = secret_key or secrets.token_hex(32)
    server.config[ACCOUNTS_KEY] = dict(accounts)
    server.config[OPEN_KEY] = open_viewing
    server.add_url_rule(LOGIN_PATH, "ranawatch_login", _login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "ranawatch_logout", _logout)
    if not open_viewing:
        server.before_request(_require_sign_in)


def current_reviewer() -> str | None:
    """The signed-in reviewer's name, or ``None`` (also when the account was removed)."""
    if not flask.has_request_context():
        return None
    name = flask.session.get("reviewer")
    return name if name in flask.current_app.config.get(ACCOUNTS_KEY, {}) else None


def check_login(name: str, password: str) -> bool:
    """Whether ``name`` is a configured reviewer and ``password`` matches its hash."""
    hashed = flask.current_app.config.get(ACCOUNTS_KEY, {}).get(name)
    return bool(hashed) and check_password_hash(hashed, password)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: no open redirect to another host.
    parsed = urlparse(target or "/")
    return (
        target
        if target and not parsed.netloc and not parsed.scheme and target.startswith("/")
        else "/"
    )


def _login() -> flask.Response | str:
    request = flask.request
    message = ""
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if check_login(name, request.form.get("password", "")):
            flask.session.clear()
            flask.session["reviewer"] = name
            logger.info("reviewer %s signed in", name)
            return flask.redirect(_safe_next(request.form.get("next")))
        message = "Unknown name or wrong password."
        logger.warning("failed sign-in for %r", name)
    if not flask.current_app.config.get(ACCOUNTS_KEY):
        message = (
            "No reviewer accounts are configured: set RANAWATCH_DASHBOARD_REVIEWERS "
            "(NAME=HASH, from `ranawatch hash-password`)."
        )
    nxt = html.escape(_safe_next(request.values.get("next")))
    return _LOGIN_PAGE.format(message=html.escape(message), next=nxt)


def _logout() -> flask.Response:
    flask.session.clear()
    return flask.redirect("/")


def _require_sign_in() -> flask.Response | None:
    path = flask.request.path
    if any(path == p or (p.endswith("/") and path.startswith(p)) for p in _PUBLIC):
        return None
    if flask.session.get("reviewer") in flask.current_app.config.get(ACCOUNTS_KEY, {}):
        return None
    if path.startswith("/_dash") or path.startswith("/media"):
        return flask.Response("sign in first\n", status=401, mimetype="text/plain")
    return flask.redirect(f"{LOGIN_PATH}?next={flask.request.full_path.rstrip('?')}")


_LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RanaWatch - Sign in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto}}
label,input,button{{display:block;width:100%;margin:.3rem 0}}input{{padding:.4rem}}
button{{padding:.5rem;background:#0072B2;color:#fff;border:0;border-radius:4px}}
.msg{{color:#b00}}</style></head>
<body><h2>RanaWatch: sign in to review</h2><p class="msg" id="login-message">{message}</p>
<form method="post" action="/login"><input type="hidden" name="next" value="{next}">
<label>Name <input id="login-name" name="name" autocomplete="username"></label>
<label>Password <input id="login-password" type="password" name="password"
autocomplete="current-password"></label>
<button id="login-submit" type="submit">Sign in</button></form>
<p><a href="/">Back to the dashboard</a></p></body></html>
"""
