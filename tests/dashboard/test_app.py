"""The dashboard app: shell, pages, /health, the overview callback, and how it is started."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dash
import pytest
from typer.testing import CliRunner

from cli.main import app as cli_app
from core.settings import get_settings
from dashboard import __main__ as dashboard_main
from dashboard.app import create_app
from db.migrate import upgrade
from db.session import get_engine
from tests.db.report_seed import OTHER_SITE, SITE, seed

ROOT = Path(__file__).resolve().parents[2]
# Nothing listens on port 1: the connection is refused at once.
UNREACHABLE = "postgresql+psycopg://ranawatch:secret@127.0.0.1:1/ranawatch"


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'ranawatch.db'}"
    upgrade(url)
    seed(get_engine(url))
    return url


@pytest.fixture
def app(seeded_url: str) -> dash.Dash:
    return create_app(seeded_url)


@pytest.fixture
def overview(app: dash.Dash) -> Iterator:
    """The overview page module as the app loaded it, inside the app's context."""
    from dashboard.pages import overview

    with app.server.app_context():
        yield overview


def test_overview_page_registers_itself_at_root(app: dash.Dash) -> None:
    page = dash.page_registry["dashboard.pages.overview"]
    assert (page["path"], page["name"]) == ("/", "Overview")


def test_shell_has_navigation_and_page_container(app: dash.Dash) -> None:
    layout = app.server.test_client().get("/_dash-layout").get_json()
    text = json.dumps(layout)
    assert '"href": "/"' in text and '"Overview"' in text
    assert "_pages_content" in text


def test_health_is_ok_on_a_migrated_database(app: dash.Dash) -> None:
    response = app.server.test_client().get("/health")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")


def test_health_is_503_when_the_database_does_not_answer() -> None:
    response = create_app(UNREACHABLE).server.test_client().get("/health")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "does not answer" in body and "secret" not in body


def test_health_is_503_on_a_database_never_migrated(tmp_path: Path) -> None:
    response = create_app(f"sqlite:///{tmp_path / 'empty.db'}").server.test_client().get("/health")
    assert response.status_code == 503
    assert "ranawatch db upgrade" in response.get_data(as_text=True)


def test_everything_is_served_locally(app: dash.Dash) -> None:
    client = app.server.test_client()
    index = client.get("/").get_data(as_text=True)
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', index)
    assert sources and all(src.startswith("/") for src in sources), sources
    assert all(client.get(src).status_code == 200 for src in sources if src.endswith(".js"))
    # dcc.Graph loads plotly.js on demand, from the app rather than the plotly CDN.
    plotly_js = "/_dash-component-suites/plotly/package_data/plotly.min.js"
    assert client.get(plotly_js).status_code == 200


def test_layout_lists_sites_and_opens_the_one_asked_for(overview) -> None:
    page = overview.layout()
    dropdown = page[overview.SITE]
    assert (dropdown.options, dropdown.value) == ([SITE, OTHER_SITE], SITE)
    assert overview.layout(site=OTHER_SITE)[overview.SITE].value == OTHER_SITE
    assert overview.layout(site="Nowhere")[overview.SITE].value == SITE


def test_layout_says_when_the_database_cannot_be_read() -> None:
    app = create_app(UNREACHABLE)
    from dashboard.pages import overview

    with app.server.app_context():
        page = overview.layout()
    assert page[overview.SITE].options == []
    assert "cannot be read" in page[overview.STATUS].children


def test_show_site_returns_figure_table_and_summary(overview) -> None:
    fig, table, summary = overview.show_site(SITE)
    assert [t.name for t in fig.data][:2] == ["Minutes recorded", "Minutes with calls"]
    assert "No audio" in [t.name for t in fig.data if len(t.x)]
    header, body = table.children
    assert [th.children for th in header.children.children][:3] == [
        "File Name",
        "Timestamp",
        "Prediction",
    ]
    assert body.children[0].children[0].children == "20240304_190000"
    assert summary == (
        "Laguna Pond: 5 recordings, 2 nights with audio, 1 with calls "
        "(model AST_Rana_Draytonii:2.0)."
    )


def test_show_site_explains_instead_of_failing(overview) -> None:
    _, table, message = overview.show_site("Nowhere")
    assert table is None and "no site named 'Nowhere'" in message
    assert overview.show_site(None)[2] == "Choose a site."


def test_callback_is_wired_to_the_app(app: dash.Dash) -> None:
    client = app.server.test_client()
    client.get("/")
    outputs = [
        {"id": "overview-nights", "property": "figure"},
        {"id": "overview-latest", "property": "children"},
        {"id": "overview-status", "property": "children"},
    ]
    body = {
        # Dash names a multi-output callback "..id.prop...id.prop..".
        "output": ".." + "...".join(f"{o['id']}.{o['property']}" for o in outputs) + "..",
        "outputs": outputs,
        "inputs": [
            {"id": "overview-site", "property": "value", "value": OTHER_SITE},
            {"id": "overview-refresh", "property": "n_intervals", "value": None},
        ],
        "changedPropIds": ["overview-site.value"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    status = response.get_json()["response"]["overview-status"]["children"]
    assert status.startswith("Upper Creek: 1 recording, 1 night with audio, 1 with calls")


def test_python_m_dashboard_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dashboard", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--host" in out.stdout and "--port" in out.stdout


@pytest.fixture
def captured_run(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Replace ``Dash.run`` so that starting the dashboard records what it would serve."""
    seen: dict = {}

    def run(self: dash.Dash, host: str, port: int, debug: bool) -> None:
        seen.update(host=host, port=port, debug=debug, url=self.server.config[
            "RANAWATCH_DATABASE_URL"])  # fmt: skip

    monkeypatch.setattr(dash.Dash, "run", run)
    return seen


def test_main_serves_the_configured_database(
    captured_run: dict, seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANAWATCH_DATABASE_URL", seeded_url)
    get_settings.cache_clear()
    try:
        dashboard_main.main(["--port", "9123"])
    finally:
        get_settings.cache_clear()
    assert captured_run == {"host": "127.0.0.1", "port": 9123, "debug": False, "url": seeded_url}


def test_main_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        dashboard_main.main(["--port", "70000"])
    assert exit_info.value.code == 2
    assert "not a TCP port" in capsys.readouterr().err


def test_cli_dashboard_command(captured_run: dict, seeded_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli_app, ["dashboard", "--host", "0.0.0.0", "--port", "8060", "--database-url", seeded_url]
    )
    assert result.exit_code == 0, result.output
    assert captured_run == {"host": "0.0.0.0", "port": 8060, "debug": False, "url": seeded_url}
    assert "http://0.0.0.0:8060/" in result.output
    assert runner.invoke(cli_app, ["dashboard", "--port", "0"]).exit_code == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_server_answers_health_over_http(seeded_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {"RANAWATCH_DATABASE_URL": seeded_url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                    assert (r.status, r.read()) == (200, b"ok")
                    break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
