"""Take a PNG screenshot of every dashboard page into docs/screenshots/ (for the README).

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [--out DIR] [--database-url URL]

Without ``--database-url`` a synthetic season (bench/season.py) is written into a temporary
SQLite file. The dashboard is served on a free local port and opened in headless Chromium
(``/usr/bin/chromium`` with ``/usr/bin/chromedriver``); each page is saved once its graphs
have drawn.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
PAGES = (
    ("overview", "/"),
    ("temperature", "/temperature"),
    ("map", "/map"),
    ("detections", "/detections"),
    ("devices", "/devices"),
    ("reports", "/reports"),
    ("models", "/models"),
)
CHROME_OPTIONS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
    "--hide-scrollbars",
)


def chrome(width: int = 1400, height: int = 1000) -> webdriver.Chrome:
    """Headless Debian Chromium, offline-friendly."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_OPTIONS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app, port: int) -> threading.Thread:
    """Serve the Dash app's Flask server in a daemon thread."""
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def wait_for_content(driver: webdriver.Chrome, timeout_s: float = 30.0) -> None:
    """Until the page's graphs have drawn (or ``timeout_s``) and nothing is loading."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        loading = driver.find_elements(By.CSS_SELECTOR, "[data-dash-is-loading='true']")
        graphs = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")
        ready = driver.find_elements(By.CSS_SELECTOR, "#_pages_content > *")
        if ready and not loading and (graphs or time.monotonic() > deadline - timeout_s + 4):
            time.sleep(1.5)
            return
        time.sleep(0.3)


# The page's height: where its main part ends (hidden pop-ups make the document taller).
PAGE_HEIGHT_JS = """
const main = document.querySelector('main');
if (main) { return Math.ceil(main.getBoundingClientRect().bottom + window.scrollY); }
return document.documentElement.scrollHeight;
"""


def fit_page(driver: webdriver.Chrome, width: int = 1400) -> None:
    """Make the viewport as tall as the page (900 to 2600 px), again until the height holds:
    graphs lower down draw only once the window reaches them. The window is taller than the
    viewport by the browser's own bars."""
    for _ in range(5):
        page = min(max(driver.execute_script(PAGE_HEIGHT_JS) + 20, 900), 2600)
        viewport = driver.execute_script("return window.innerHeight")
        if viewport == page:
            break
        bars = driver.get_window_size()["height"] - viewport
        driver.set_window_size(width, page + bars)
        time.sleep(1.5)
        wait_for_content(driver, timeout_s=20.0)


def write_newest_event_audio(engine) -> None:
    """A WAV for the recording of the newest event: noise with pulsed 0.5-1.5 kHz calls
    over the event, so the detections page shows a spectrogram and plays audio."""
    import numpy as np
    import soundfile
    import sqlalchemy as sa

    from db.models import Detection, Recording

    with engine.connect() as conn:
        path, duration = conn.execute(
            sa.select(Recording.path, Recording.duration_s)
            .join(Detection, Detection.recording_id == Recording.id)
            .order_by(Recording.recorded_at.desc(), Detection.start_s)
            .limit(1)
        ).one()
        events = conn.execute(
            sa.select(Detection.start_s, Detection.end_s)
            .join(Recording, Recording.id == Detection.recording_id)
            .where(Recording.path == path)
        ).all()
    rate = 16000
    rng = np.random.default_rng(1)
    samples = 0.02 * rng.standard_normal(int(duration * rate)).astype(np.float32)
    for start, end in events:
        for t0 in np.arange(start, end, 0.6):
            t = np.arange(int(0.25 * rate)) / rate
            pulse = 0.3 * np.sin(2 * np.pi * (600 + 900 * t / 0.25) * t) * np.hanning(len(t))
            i = int(t0 * rate)
            samples[i : i + len(t)] += pulse[: len(samples) - i].astype(np.float32)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, np.clip(samples, -1, 1), rate, subtype="PCM_16")


def select_first_row(driver: webdriver.Chrome) -> None:
    """Choose the first row of the detections table (to show its spectrogram)."""
    boxes = driver.find_elements(By.CSS_SELECTOR, "#det-table input[type='radio']")
    if boxes:
        boxes[0].click()
        time.sleep(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--pages", nargs="*", default=[name for name, _ in PAGES])
    args = parser.parse_args()

    from core.settings import Settings
    from dashboard.app import create_app

    url = args.database_url
    if url is None:
        from bench.season import SeasonSize, fill_season
        from bench.season_versions import add_retrained_version
        from db.migrate import upgrade
        from db.session import get_engine

        tmp = Path(tempfile.mkdtemp())
        url = f"sqlite:///{tmp / 'season.db'}"
        upgrade(url)
        fill_season(get_engine(url), SeasonSize(sites=5, nights=75, audio_path=str(tmp / "audio")))
        add_retrained_version(get_engine(url))
        write_newest_event_audio(get_engine(url))
        roots = [tmp / "audio"]
    else:
        roots = []
    app = create_app(url, settings=Settings(database_url=url, audio_roots=roots))
    port = _free_port()
    serve(app, port)
    args.out.mkdir(parents=True, exist_ok=True)
    driver = chrome()
    try:
        for name, path in PAGES:
            if name not in args.pages:
                continue
            driver.get(f"http://127.0.0.1:{port}{path}")
            wait_for_content(driver)
            if name == "detections":
                select_first_row(driver)
                wait_for_content(driver)
            fit_page(driver)
            target = args.out / f"{name}.png"
            driver.save_screenshot(str(target))
            print(f"wrote {target}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
