"""The dashboard app: shell, /health, database problems shown (never a database created),
each page's callbacks called directly, reviews, sign-in, audio only from the audio roots."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dash
import flask
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.main import app as cli_app
from core.settings import Settings
from dashboard import review_panel
from dashboard.app import SITES, create_app, shell
from db.migrate import upgrade
from db.models import Detection, Review, Verdict
from db.reviews import add_review, review_history
from db.session import get_engine, session_scope
from tests.dashboard.conftest import PASSWORD, REVIEWER, make_app
from tests.db.report_seed import OTHER_SITE, SITE

UNREACHABLE = "postgresql+psycopg://ranawatch:secret@127.0.0.1:1/ranawatch"
PAGES = {
    "/": "Overview",
    "/temperature": "Temperature",
    "/map": "Map",
    "/detections": "Detections",
    "/devices": "Devices",
    "/reports": "Reports",
    "/models": "Models",
}


def page(name: str):
    import importlib

    return importlib.import_module(f"dashboard.pages.{name}")


def test_every_page_registers_itself_and_is_in_the_navigation(app: dash.Dash) -> None:
    registered = {p["path"]: p["name"] for p in dash.page_registry.values()}
    assert registered == PAGES
    layout = app.server.test_client().get("/_dash-layout").get_json()
    text = json.dumps(layout)
    assert all(f'"href": "{path}"' in text for path in PAGES)


def test_shell_lists_sites_and_the_recorded_nights(ctx) -> None:
    layout = shell()
    assert layout[SITES].options == [SITE, OTHER_SITE]
    assert "Nights recorded: 2024-03-01 to 2024-03-04" in json.dumps(
        layout.to_plotly_json(), default=str
    )


def test_health_is_ok_on_a_migrated_database(app: dash.Dash) -> None:
    response = app.server.test_client().get("/health")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")


def test_health_is_503_when_the_database_does_not_answer() -> None:
    response = create_app(UNREACHABLE, settings=Settings()).server.test_client().get("/health")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "cannot reach database" in body and "secret" not in body


def test_a_missing_database_is_explained_and_never_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "ranawatch.db"
    app = create_app(f"sqlite:///{path}", settings=Settings())
    client = app.server.test_client()
    response = client.get("/health")
    assert response.status_code == 503 and "ranawatch db upgrade" in response.get_data(as_text=True)
    with app.server.test_request_context("/"):
        banner = shell()["scope-status"]
        totals, nights, _hours, message = page("overview").update([], None, None)
    assert (
        f"There is no database at {path}" in banner.children and banner.style["display"] == "block"
    )
    assert "ranawatch db upgrade" in message and totals is None
    assert "There is no database" in nights.layout.annotations[0].text
    assert not path.exists() and not path.parent.exists()


def test_models_page_on_a_database_without_models_or_without_a_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    upgrade(f"sqlite:///{empty}")
    for path, said in ((empty, "No model version yet"), (tmp_path / "none.db", "no database")):
        app = create_app(f"sqlite:///{path}", settings=Settings())
        models = page("models")  # after an app exists: pages register with it
        with app.server.test_request_context("/"):
            table, fig, options, first, _, second, message = models.update([], None, None)
            compared = models.compare(None, None, [], None, None)
        assert said.lower() in message.lower() and table is None and options == []
        assert (first, second) == (None, None) and not fig.data
        assert compared[1] == "" and not compared[0].data
    assert not (tmp_path / "none.db").exists()


def test_an_unmigrated_database_says_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    app = create_app(f"sqlite:///{path}", settings=Settings())
    with app.server.test_request_context("/"):
        assert "ranawatch db upgrade" in shell()["scope-status"].children


def test_everything_is_served_locally(app: dash.Dash) -> None:
    client = app.server.test_client()
    index = client.get("/").get_data(as_text=True)
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', index)
    assert sources and all(src.startswith("/") for src in sources), sources
    assert (
        client.get("/_dash-component-suites/plotly/package_data/plotly.min.js").status_code == 200
    )
    assert client.get("/assets/review-keys.js").status_code == 200


def test_overview_callback(ctx) -> None:
    totals, nights, hours, message = page("overview").update([SITE], None, None)
    values = [c.children[0].children for c in totals.children]
    # Model 2.0 found one event (one minute with calls), which nobody has reviewed.
    assert values == ["1", "1", "0.1", "0.02", "1", "1"]
    assert "AST_Rana_Draytonii:2.0" in message
    assert [t.name for t in nights.data if t.type == "scatter"] == [SITE]
    assert hours.data[0].type == "heatmap"


def overview_request(client, changed: str, ticks: int, site: str = OTHER_SITE) -> dict:
    """Ask the app, over HTTP, for one site's overview as the browser would."""
    outputs = [
        {"id": i, "property": p}
        for i, p in (
            ("overview-totals", "children"),
            ("overview-nights", "figure"),
            ("overview-hours", "figure"),
            ("overview-message", "children"),
        )
    ]
    body = {
        "output": ".." + "...".join(f"{o['id']}.{o['property']}" for o in outputs) + "..",
        "outputs": outputs,
        "inputs": [
            {"id": "scope-sites", "property": "value", "value": [site]},
            {"id": "scope-dates", "property": "start_date", "value": None},
            {"id": "scope-dates", "property": "end_date", "value": None},
            {"id": "refresh", "property": "n_intervals", "value": ticks},
        ],
        "changedPropIds": [changed],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    return response.get_json()["response"]


def test_overview_callback_is_wired_to_the_app(app: dash.Dash) -> None:
    client = app.server.test_client()
    client.get("/")
    fig = overview_request(client, "scope-sites.value", 0)["overview-nights"]["figure"]
    assert [t["name"] for t in fig["data"] if t["type"] == "scatter"] == [OTHER_SITE]


def test_the_refresh_timer_is_in_every_page_and_set_by_the_setting(seeded, reviewer_hash) -> None:
    url, _ids, root = seeded
    for seconds, interval, disabled in ((45, 45_000, False), (0, 1000, True)):
        app = make_app(url, root, reviewer_hash, dashboard_refresh_s=seconds)
        with app.server.test_request_context("/"):
            (timer,) = [c for c in _walk(shell()) if getattr(c, "id", None) == "refresh"]
        assert isinstance(timer, dash.dcc.Interval)
        assert (timer.interval, timer.disabled) == (interval, disabled)


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            yield from _walk(child)


def test_every_data_callback_is_driven_by_the_refresh_timer(app: dash.Dash) -> None:
    app.server.test_client().get("/")  # pages register their callbacks with the app
    figures_and_tables = {
        "overview-nights.figure",
        "temperature-bins.figure",
        "map-graph.figure",
        "det-table.data",
        "det-device.options",
        "devices-summary.children",
        "devices-graph.figure",
        "models-nights.figure",
        "models-agreement.figure",
        "scope-sites.options",
    }
    driven = {
        output
        for key, spec in app.callback_map.items()
        if {"id": "refresh", "property": "n_intervals"} in spec["inputs"]
        for output in key.strip(".").split("...")
    }
    assert figures_and_tables <= driven


def _awaiting(response: dict) -> str:
    cards = response["overview-totals"]["children"]["props"]["children"]
    return cards[-1]["props"]["children"][0]["props"]["children"]


def test_a_refresh_shows_what_arrived_since(app: dash.Dash, seeded) -> None:
    url, ids, _root = seeded
    client = app.server.test_client()
    client.get("/")
    assert _awaiting(overview_request(client, "scope-sites.value", 0, SITE)) == "1"
    # A reviewer confirms model 2.0's event elsewhere; the timer's next tick shows it.
    with Session(get_engine(url)) as session:
        (event,) = session.exec(
            select(Detection.id).where(Detection.model_version_id == ids["v2"])
        ).all()
    with session_scope(get_engine(url)) as session:
        add_review(session=session, detection_id=event, verdict="confirmed", reviewer="bo")
    try:
        assert _awaiting(overview_request(client, "refresh.n_intervals", 1, SITE)) == "0"
    finally:
        with session_scope(get_engine(url)) as session:
            for review in session.exec(select(Review).where(Review.detection_id == event)):
                session.delete(review)


def test_a_refresh_keeps_the_review_in_progress() -> None:
    detections = page("detections")
    shown = [{"id": 7, "verdict": ""}, {"id": 8, "verdict": ""}, {"id": 9, "verdict": ""}]
    keep = dash.no_update
    # Nothing new: nothing is redrawn (the chosen event's audio plays on).
    assert detections.keep_review([dict(r) for r in shown], shown, [1]) == (keep, keep)
    # A new event on top: the rows change, the chosen event (8) stays chosen, one lower.
    fresh = [{"id": 10, "verdict": ""}, *shown[:2]]
    assert detections.keep_review(fresh, shown, [1]) == (fresh, [2])
    # Someone else reviewed 7: the row changes, 8 keeps its place.
    reviewed = [{"id": 7, "verdict": "confirmed"}, *shown[1:]]
    assert detections.keep_review(reviewed, shown, [1]) == (reviewed, keep)
    # The chosen event left the page (reviewed elsewhere, filter "Not reviewed"): the page
    # stays as it is until the reviewer moves on.
    assert detections.keep_review([shown[0], shown[2]], shown, [1]) == (keep, keep)
    # No row chosen: the new page simply shows (and no row gets chosen).
    assert detections.keep_review(fresh, shown, []) == (fresh, keep)


def test_temperature_callback(ctx) -> None:
    bins, nights, summary = page("temperature").update([], None, None)
    assert bins.data[0].name == "Recordings with calls"
    # Model 2.0 ran on one recording only: nothing to fit.
    assert summary == "1 analysed recording: too few temperatures or calls to fit a curve."
    assert "not the water" in page("temperature").SENSOR_NOTE


def test_map_places_sites_with_coordinates_and_lists_the_rest(ctx) -> None:
    fig, side = page("map").update([], None, None)
    (trace,) = fig.data
    assert trace.type == "scatter" and list(trace.customdata[:, 0]) == [SITE]
    missing = side[1].data
    assert {row["Name"] for row in missing} == {
        OTHER_SITE,
        "AudioMoth 249BC30461CBB1E6",
        "24E144085F256A6D",
    }


def test_map_uses_configured_tiles(seeded, reviewer_hash: str) -> None:
    url, _ids, root = seeded
    app = make_app(url, root, reviewer_hash, dashboard_tile_url="https://t.example/{z}/{x}/{y}.png")
    with app.server.test_request_context("/"):
        fig, _ = page("map").update([], None, None)
    assert fig.data[0].type == "scattermap"


def test_devices_callbacks(ctx) -> None:
    devices = page("devices")
    table, options, chosen = devices.list_devices([], None, None, None)
    assert [o["label"] for o in options][0] == "AudioMoth 249BC30461CBB1E6 (Laguna Pond)"
    assert chosen == options[0]["value"] and len(table.data) == 2
    fig, said, failed = devices.show_device(chosen, [], None, None)
    assert [t.name for t in fig.data][0] == "Recorded"
    # The seed's sites declare no schedule: the expectation is inferred, and says so.
    assert "inferred" in said and "no schedule is declared" in said
    assert any(t.name == "Expected (inferred)" for t in fig.data)
    assert failed.data[0]["Reason"] == "not a RIFF/WAVE file"


def test_models_callbacks_compare_the_two_versions(ctx) -> None:
    models = page("models")
    table, fig, options, first, _options, second, message = models.update([], None, None)
    assert message == "2 model versions registered."
    rows = {row["Model"]: row for row in table.data}
    assert rows["AST_Rana_Draytonii:1.0"]["Recordings scored"] == "4"
    assert rows["AST_Rana_Draytonii:1.0"]["Hours with calls"] == "0.03 (50.0%)"
    assert rows["AST_Rana_Draytonii:2.0"]["Confirmed calls found"] == "1 of 1"
    assert rows["AST_Rana_Draytonii:2.0"]["Rejected avoided"] == "1 of 1"
    assert rows["AST_Rana_Draytonii:1.0"]["Rejected avoided"] == "0 of 1"
    assert [t.name for t in fig.data] == ["AST_Rana_Draytonii:2.0", "AST_Rana_Draytonii:1.0"]
    # The newest two are compared unless the user chose otherwise.
    assert [o["label"] for o in options if o["value"] in (first, second)] == [
        "AST_Rana_Draytonii:2.0",
        "AST_Rana_Draytonii:1.0",
    ]
    agreement, said = models.compare(first, second, [], None, None)
    # One recording in common, called positive by both: kappa is undefined, said in words.
    assert said == "They call every one of the 1 recording the same way."
    assert agreement.data[0].type == "heatmap" and int(agreement.data[0].z[0][0]) == 1
    # At Upper Creek 2.0 never ran: nothing in common to compare.
    _fig, said = models.compare(first, second, [OTHER_SITE], None, None)
    assert said == (
        "AST_Rana_Draytonii:2.0 and AST_Rana_Draytonii:1.0 have not both scored any "
        "recording in this scope."
    )
    assert models.compare(first, first, [], None, None)[1] == ""


def test_reports_download_the_workbook_and_csv(ctx) -> None:
    reports = page("reports")
    sent, message = reports.build_download("xlsx", SITE, None, None)
    assert sent["filename"] == "Laguna_Pond.xlsx" and "5 recordings" in message
    assert sent["base64"] and len(sent["content"]) > 1000
    sent, _ = reports.build_download("csv", SITE, "2024-03-03", "2024-03-04")
    assert sent["filename"] == "Laguna_Pond_2024-03-03_2024-03-04.csv"
    assert reports.build_download("xlsx", "Nowhere", None, None)[1].startswith("no site named")


def _login(client, password: str = PASSWORD):
    return client.post(
        "/login", data={"name": REVIEWER, "password": password, "next": "/detections"}
    )


def test_sign_in_with_a_configured_account(app: dash.Dash) -> None:
    client = app.server.test_client()
    wrong = _login(client, "nope")
    assert wrong.status_code == 200 and "wrong password" in wrong.get_data(as_text=True)
    right = _login(client)
    assert right.status_code == 302 and right.headers["Location"] == "/detections"
    assert "Signed in as ann" in json.dumps(client.get("/_dash-layout").get_json())
    evil = client.post(
        "/login", data={"name": REVIEWER, "password": PASSWORD, "next": "//evil.example"}
    )
    assert evil.headers["Location"] == "/"


def test_closed_viewing_needs_sign_in(seeded, reviewer_hash: str) -> None:
    url, _ids, root = seeded
    client = make_app(url, root, reviewer_hash, dashboard_open_viewing=False).server.test_client()
    assert client.get("/map").status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/health").status_code == 200
    _login(client)
    assert client.get("/map").status_code == 200


def test_review_round_trip_needs_a_reviewer_and_keeps_history(app: dash.Dash, seeded) -> None:
    url, ids, _root = seeded
    detections = page("detections")
    with app.server.test_request_context("/"):
        rows, pages, count, _ = detections.load_page(
            [], None, None, None, None, [0, 1], "unreviewed", 0, 20
        )
        assert count.startswith("1 event of model AST_Rana_Draytonii:2.0") and pages == 1
    with app.server.test_request_context("/"):
        everything, *_ = detections.load_page([SITE], None, None, None, None, [0, 1], "", 0, 20)
        said, *_ = review_panel.review(Verdict.REJECTED, "", [0], everything)
        assert said.startswith("Sign in")
    with app.server.test_request_context("/"):
        flask.session["reviewer"] = REVIEWER
        said, updated, following, note = review_panel.review(
            Verdict.REJECTED, " echo ", [0], everything
        )
        assert said.startswith("Stored: rejected")
        assert updated[0]["verdict"] == "rejected" and updated[0]["reviewer"] == REVIEWER
        assert following == [0] and note == ""  # one row on this page: stays on it
        again, *_ = detections.load_page([SITE], None, None, None, None, [0, 1], "", 0, 20)
        assert again[0]["verdict"] == "rejected"
        # Changing the verdict keeps the first one as history.
        said, *_ = review_panel.review(Verdict.CONFIRMED, None, [0], updated)
        assert said.startswith("Stored: confirmed")
        shown = review_panel.show_event([0], updated, 3000, 1)[3]
        assert "History" in str(shown.children[0].children)
    with Session(get_engine(url)) as session:
        history = review_history(session=session, detection_id=int(everything[0]["id"]))
    assert [(r.verdict.value, r.reviewer, r.note) for r in history] == [
        ("confirmed", REVIEWER, None),
        ("rejected", REVIEWER, "echo"),
    ]


def test_event_spectrogram_and_audio_come_from_the_audio_root(app: dash.Dash, seeded) -> None:
    url, ids, _root = seeded
    client = app.server.test_client()
    with Session(get_engine(url)) as session:
        from sqlmodel import select

        from db.models import Detection

        first = session.exec(
            select(Detection.id).where(Detection.recording_id == ids["calls"])
        ).first()
        creek = session.exec(
            select(Detection.id).where(Detection.recording_id == ids["creek"])
        ).first()
    audio = client.get(f"/media/event/{first}.wav?context=2")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    assert audio.data[:4] == b"RIFF"
    row = {
        "id": first,
        "label": "Rana draytonii",
        "when": "x",
        "site": SITE,
        "file": "f",
        "span": "10-20",
    }
    with app.server.test_request_context("/"):
        fig, src, caption, _history = review_panel.show_event([0], [row], 2000, 2)
    assert src == f"/media/event/{first}.wav?context=2" and "Rana draytonii" in caption
    assert fig.data[0].type == "heatmap" and max(fig.data[0].y) <= 2000
    # A stored path that leads out of the audio root (../ranawatch.db) is refused.
    assert client.get(f"/media/event/{creek}.wav").status_code == 403
    assert client.get("/media/event/999999.wav").status_code == 404
    # A path in the URL names nothing: only a detection id is understood.
    crafted = client.get("/media/event/..%2F..%2Fetc%2Fpasswd.wav")
    assert crafted.mimetype != "audio/wav" and b"root:" not in crafted.data


def test_cli_dashboard_command(monkeypatch: pytest.MonkeyPatch, seeded) -> None:
    url, _ids, _root = seeded
    seen: dict = {}

    def run(self: dash.Dash, host: str, port: int, debug: bool) -> None:
        seen.update(
            host=host, port=port, debug=debug, url=self.server.config["RANAWATCH_DATABASE_URL"]
        )

    monkeypatch.setattr(dash.Dash, "run", run)
    runner = CliRunner()
    result = runner.invoke(
        cli_app, ["dashboard", "--host", "0.0.0.0", "--port", "8060", "--database-url", url]
    )
    assert result.exit_code == 0, result.output
    assert seen == {"host": "0.0.0.0", "port": 8060, "debug": False, "url": url}
    assert runner.invoke(cli_app, ["dashboard", "--port", "0"]).exit_code == 2


def test_hash_password_makes_an_account_the_settings_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from werkzeug.security import check_password_hash

    result = CliRunner().invoke(cli_app, ["hash-password", "bo", "--password", "s3cret"])
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    monkeypatch.setenv("RANAWATCH_DASHBOARD_REVIEWERS", f"{line},cy=x")
    accounts = Settings().dashboard_reviewers
    assert set(accounts) == {"bo", "cy"} and check_password_hash(accounts["bo"], "s3cret")


def test_compose_serves_the_wsgi_app_under_gunicorn(
    seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    import yaml

    from core.settings import get_settings

    root = Path(__file__).resolve().parents[2]
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    command = compose["services"]["dashboard"]["command"]
    assert command[0] == "gunicorn" and command[-1] == "dashboard.wsgi:server"
    monkeypatch.setenv("RANAWATCH_DATABASE_URL", seeded[0])
    get_settings.cache_clear()
    try:
        wsgi = importlib.import_module("dashboard.wsgi")
        assert wsgi.server.test_client().get("/health").status_code == 200
    finally:
        get_settings.cache_clear()
