"""The dashboard in headless Chromium (dash[testing]'s ``dash_duo``): every page loads with
data and draws its graphs; a reviewer signs in and confirms a detection end to end."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from sqlmodel import Session

from db.reviews import review_history
from db.session import get_engine
from tests.dashboard.conftest import PASSWORD, REVIEWER, make_app

pytestmark = pytest.mark.slow

PAGES = [
    ("/", "#overview-nights .js-plotly-plot", "Calls per night"),
    ("/temperature", "#temperature-bins .js-plotly-plot", "not the water"),
    ("/map", "#map-graph .js-plotly-plot", "Not on the map"),
    ("/detections", "#det-table", "event of model"),
    ("/devices", "#devices-graph .js-plotly-plot", "AudioMoth 249BC30461CBB1E6"),
    ("/reports", "#reports-xlsx", "Download workbook"),
    ("/models", "#models-nights .js-plotly-plot", "Confirmed calls found"),
]


@pytest.fixture
def served(dash_duo, seeded, reviewer_hash):
    url, ids, root = seeded
    dash_duo.start_server(make_app(url, root, reviewer_hash))
    return dash_duo, url, ids


def test_every_page_loads_with_data(served) -> None:
    duo, _url, _ids = served
    for path, selector, text in PAGES:
        duo.driver.get(duo.server_url + path)
        duo.wait_for_element(selector, timeout=30)
        duo.wait_for_contains_text("#_pages_content", text, timeout=30)
        if "plotly" in selector:
            # The graph drew real traces (not an empty placeholder).
            duo.wait_for_element(f"{selector.split()[0]} .main-svg", timeout=30)
            assert duo.driver.find_elements(By.CSS_SELECTOR, f"{selector.split()[0]} .trace")
    assert duo.get_logs() == [] or all(e["level"] != "SEVERE" for e in duo.get_logs())


def test_sign_in_and_confirm_a_detection(served) -> None:
    duo, url, _ids = served
    duo.driver.get(duo.server_url + "/login?next=/detections")
    duo.find_element("#login-name").send_keys(REVIEWER)
    duo.find_element("#login-password").send_keys(PASSWORD)
    duo.find_element("#login-submit").click()
    duo.wait_for_contains_text("header", f"Signed in as {REVIEWER}", timeout=30)
    duo.wait_for_contains_text("#det-count", "1 event of model", timeout=30)
    duo.find_element("#det-table input[type='radio']").click()
    duo.wait_for_contains_text("#det-caption", "Rana draytonii at", timeout=30)
    duo.wait_for_element("#det-spectrogram .heatmaplayer, #det-spectrogram .hm", timeout=30)
    duo.find_element("#det-note").send_keys("clear grunts")
    # Keyboard: "c" confirms (focus on the page, not the note field).
    duo.find_element("h2").click()
    duo.driver.switch_to.active_element.send_keys("c")
    duo.wait_for_contains_text("#det-said", "Stored: confirmed", timeout=30)
    duo.wait_for_contains_text("#det-table", "confirmed", timeout=30)
    with Session(get_engine(url)) as session:
        from sqlmodel import select

        from db.models import Review

        newest = session.exec(select(Review).order_by(Review.id.desc())).first()
        history = review_history(session=session, detection_id=newest.detection_id)
    assert (newest.verdict.value, newest.reviewer, newest.note) == (
        "confirmed",
        REVIEWER,
        "clear grunts",
    )
    assert history[0].id == newest.id
