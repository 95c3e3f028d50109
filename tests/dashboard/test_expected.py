"""Recording schedules: minutes per night with known answers, the sites file that declares
them, and the devices page's expectation (schedule where declared, else inferred)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError
from sqlmodel import Session, select

from dashboard.expected import FULL_NIGHT_QUANTILE, expected_minutes, inferred_minutes
from db.migrate import upgrade
from db.models import Deployment, Site
from db.session import get_engine, session_scope
from db.sites import RecordingSchedule, load_sites_file, store_sites_file


def schedule(text: str) -> RecordingSchedule:
    """A schedule as the sites file writes it (YAML flow mapping)."""
    return RecordingSchedule.model_validate(yaml.safe_load(text))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        # The demo: 30 s at 0, 30, ..., 210 min after sunset; one at 240 min would start
        # as the period ends.
        ("{record_s: 30, every_min: 30, start: sunset, hours: 4}", 8 * 30),
        # The benchmark season: a 10-minute file every 30 minutes, 19:00 to 07:00.
        ("{record_s: 600, every_min: 30, start: '19:00', end: '07:00'}", 24 * 600),
        # Unquoted 19:00 is a YAML 1.1 sexagesimal number (1140); read as the clock time.
        ("{record_s: 600, every_min: 30, start: 19:00, end: 07:00}", 24 * 600),
        # The last recording is cut at the period's end: 400 s at 0 s, then 300 s at 600 s.
        ("{record_s: 400, every_min: 10, start: '20:00', hours: 0.25}", 400 + 300),
        # Across midnight: 22:00, 23:00, 00:00, 01:00.
        ("{record_s: 60, every_min: 60, start: '22:00', end: '02:00'}", 4 * 60),
        # Continuous: one file after another for the whole period.
        ("{record_s: 3600, every_min: 60, start: '18:00', hours: 12}", 12 * 3600),
    ],
)
def test_seconds_per_night_of_a_schedule(text: str, seconds: float) -> None:
    assert schedule(text).seconds_per_night == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{record_s: 30, every_min: 30, start: sunset}", "hours"),
        ("{record_s: 30, every_min: 30, start: sunset, end: '07:00'}", "needs hours"),
        ("{record_s: 120, every_min: 1, start: sunset, hours: 4}", "overlap"),
        ("{record_s: 30, every_min: 30, start: '10:00', hours: 4}", "past local noon"),
        ("{record_s: 30, every_min: 30, start: dusk, hours: 4}", "nor sunset"),
        ("{record_s: 30, every_min: 30, start: sunset, hours: 4, gain: high}", "gain"),
    ],
)
def test_a_schedule_that_cannot_be_is_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        schedule(text)


def test_schedules_are_described_in_words() -> None:
    assert schedule("{record_s: 30, every_min: 30, start: sunset, hours: 4}").describe() == (
        "30 s every 30 min for 4 h from sunset"
    )
    assert schedule("{record_s: 600, every_min: 30, start: '19:00', end: '07:00'}").describe() == (
        "10 min every 30 min from 19:00 to 07:00"
    )


SITES = """\
sites:
  - name: Laguna Pond
    devices: [AAAA000000000001]
    schedule: {record_s: 60, every_min: 10, start: "19:00", end: "07:00"}
  - name: Upper Creek
deployments:
  - device: 249BC30461CBB1E6
    site: Upper Creek
    from: 2024-02-01
    schedule: {record_s: 30, every_min: 30, start: sunset, hours: 4}
"""


def test_the_sites_file_stores_site_and_deployment_schedules(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(SITES, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'ranawatch.db'}"
    upgrade(url)
    with session_scope(get_engine(url)) as session:
        store_sites_file(session=session, sites_file=load_sites_file(path))
    with Session(get_engine(url)) as session:
        sites = {s.name: s.schedule for s in session.exec(select(Site))}
        (deployment,) = session.exec(select(Deployment)).all()
    assert RecordingSchedule.model_validate(sites["Laguna Pond"]).seconds_per_night == 72 * 60
    assert sites["Upper Creek"] is None
    assert RecordingSchedule.model_validate(deployment.schedule).describe() == (
        "30 s every 30 min for 4 h from sunset"
    )


def test_a_bad_schedule_in_the_sites_file_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(
        "sites:\n  - name: A\n    schedule: {record_s: 30, every_min: 30, start: sunset}\n",
        encoding="utf-8",
    )
    with pytest.raises(Exception, match=r"sites.yaml: invalid sites file.*schedule"):
        load_sites_file(path)


def _nights(minutes: list[float], site_id: int = 1) -> pd.DataFrame:
    nights = [date(2024, 3, 1 + k) for k in range(len(minutes))]
    return pd.DataFrame(
        {
            "night": nights,
            "site_id": [site_id] * len(nights),
            "first_at": [
                pd.Timestamp(datetime(n.year, n.month, n.day, 3, tzinfo=UTC)) for n in nights
            ],
            "minutes_recorded": minutes,
        }
    )


NO_DEPLOYMENTS = pd.DataFrame(columns=["start_at", "end_at", "schedule"])
SUNSET_4H = {"record_s": 30, "every_min": 30, "start": "sunset", "hours": 4}
EVENINGS = {"record_s": 60, "every_min": 10, "start": "19:00", "end": "23:00"}


def test_without_a_schedule_the_expectation_is_inferred_and_says_so() -> None:
    nights = _nights([240.0, 240.0, 100.0, 240.0, 0.5])
    expected = expected_minutes(nights, NO_DEPLOYMENTS, {})
    assert expected is not None and expected.source == "inferred"
    inferred = float(nights["minutes_recorded"].quantile(FULL_NIGHT_QUANTILE))
    assert inferred_minutes(nights) == inferred == 240.0
    assert set(expected.minutes) == {240.0} and "no schedule is declared" in expected.text


def test_the_site_schedule_gives_the_minutes_a_night_should_hold() -> None:
    # The device recorded more than 90% of its nights would suggest: the schedule decides.
    nights = _nights([4.0, 4.0, 1.5])
    expected = expected_minutes(nights, NO_DEPLOYMENTS, {1: SUNSET_4H})
    assert expected is not None and expected.source == "schedule"
    assert list(expected.minutes) == [4.0, 4.0, 4.0]
    assert "30 s every 30 min for 4 h from sunset: 4.0 min a night" in expected.text


def test_a_deployment_schedule_wins_for_the_nights_it_covers() -> None:
    nights = _nights([24.0, 24.0, 4.0, 4.0])
    deployments = pd.DataFrame(
        {
            "start_at": [
                pd.Timestamp(2024, 2, 1, tzinfo=UTC),
                pd.Timestamp(2024, 3, 3, tzinfo=UTC),
            ],
            "end_at": [pd.Timestamp(2024, 3, 3, tzinfo=UTC), pd.NaT],
            "schedule": [EVENINGS, None],
        }
    )
    expected = expected_minutes(nights, deployments, {1: SUNSET_4H})
    assert expected is not None and expected.source == "schedule"
    # 1-2 March: the deployment's 60 s every 10 min, 19:00-23:00 (24 min); after 3 March the
    # deployment declares none, so the site's 4 h from sunset (4 min) counts.
    assert list(expected.minutes) == [24.0, 24.0, 4.0, 4.0]


def test_nights_without_a_schedule_fall_back_to_the_inferred_value() -> None:
    nights = pd.concat([_nights([4.0, 4.0], site_id=1), _nights([10.0, 10.0], site_id=2)])
    nights["night"] = [date(2024, 3, d) for d in (1, 2, 3, 4)]
    expected = expected_minutes(nights, NO_DEPLOYMENTS, {1: SUNSET_4H})
    assert expected is not None and expected.source == "schedule and inferred"
    assert list(expected.minutes)[:2] == [4.0, 4.0]
    assert list(expected.minutes)[2:] == [inferred_minutes(nights)] * 2
    assert "other nights: inferred" in expected.text


def test_no_nights_no_expectation() -> None:
    assert expected_minutes(_nights([]), NO_DEPLOYMENTS, {}) is None


def test_the_devices_page_draws_the_declared_schedule(tmp_path: Path) -> None:
    from tests.dashboard.conftest import make_app
    from tests.db.report_seed import SITE, seed

    url = f"sqlite:///{tmp_path / 'ranawatch.db'}"
    upgrade(url)
    seed(get_engine(url))
    with session_scope(get_engine(url)) as session:
        pond = session.exec(select(Site).where(Site.name == SITE)).one()
        pond.schedule = {"record_s": 60, "every_min": 60, "start": "19:00", "hours": 2}
        session.add(pond)
    app = make_app(url, tmp_path, "unused-hash")
    from dashboard.pages import devices  # pages register themselves with an app

    with app.server.test_request_context("/"):
        _table, options, chosen = devices.list_devices([SITE], None, None, None)
        fig, said, _failed = devices.show_device(chosen, [SITE], None, None)
    assert "from the schedule in the sites file (1 min every 60 min for 2 h from 19:00" in said
    (line,) = [t for t in fig.data if t.name == "Expected (schedule)"]
    assert set(line.y) == {2.0}  # two 60-s recordings a night, every night of the range
    (gaps,) = [t for t in fig.data if (t.name or "").startswith("Gap")]
    # 1 and 3 March hold their two minutes; 2 March has no audio at all, 4 March only an
    # unreadable file.
    assert [pd.Timestamp(x).date() for x in gaps.x] == [date(2024, 3, 2), date(2024, 3, 4)]


def test_the_demo_sites_file_declares_the_schedule_its_recorders_follow(tmp_path: Path) -> None:
    from collections import Counter

    from core.demo.generate import write_sites_file
    from core.demo.season import SeasonConfig, plan_season

    config = SeasonConfig(nights=3)
    sites = load_sites_file(write_sites_file(tmp_path / "sites.yaml", config))
    (declared,) = {site.schedule for site in sites.sites}
    assert (
        declared is not None and declared.describe() == "30 s every 30 min for 4.01 h from sunset"
    )
    # A full night of the plan: nine 30-s files (sunset, then every 30 min through 4 h).
    files = Counter((p.serial, p.night.date) for p in plan_season(config))
    full = max(files.values()) * config.recording_s
    assert declared.seconds_per_night == full == 270.0
