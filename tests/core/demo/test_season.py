"""The synthetic season: seeded, with the schedule, weather, batteries and calls it promises."""

from __future__ import annotations

import csv
import hashlib
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from core.demo.generate import generate_season, read_ground_truth
from core.demo.season import SeasonConfig, plan_season, sunset_utc
from core.demo.sounds import CALL_BAND_HZ, CALL_LABEL, grunt_rate_hz

SMALL = SeasonConfig(nights=2, hours_after_sunset=1.0, recording_s=20.0)


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_calls(tmp_path: Path) -> None:
    a = generate_season(tmp_path / "a", SMALL)
    b = generate_season(tmp_path / "b", SMALL)
    assert _digest(a.root) == _digest(b.root)
    c = generate_season(tmp_path / "c", SMALL.model_copy(update={"seed": 7}))
    assert _digest(c.root) != _digest(a.root)
    assert len(a.files) == 4 * 2 * 3  # 4 recorders, 2 nights, 3 slots an hour after sunset


def test_ground_truth_lies_inside_the_audio_and_is_labelled_synthetic(tmp_path: Path) -> None:
    season = generate_season(tmp_path, SMALL)
    rows = read_ground_truth(season.ground_truth)
    assert len(rows) == season.calls > 0
    files = csv.DictReader((tmp_path / "recordings.csv").open())
    durations = {r["file"]: float(r["audio_s"]) for r in files}
    for row in rows:
        assert row["label"] == CALL_LABEL
        assert 0 < float(row["start_s"]) < float(row["end_s"]) <= durations[row["file"]]
    text = "".join(p.read_text() for p in tmp_path.glob("*.*") if p.suffix != ".WAV")
    assert "draytonii" not in text.lower()
    assert "SYNTHETIC" in (tmp_path / "SYNTHETIC.txt").read_text()


def test_schedule_starts_at_sunset_and_nights_cool() -> None:
    plans = plan_season(SeasonConfig(nights=3))
    first = plans[0]
    sunset = sunset_utc(first.night.date, first.site.latitude, first.site.longitude)
    local = sunset - timedelta(hours=8)
    assert 17 <= local.hour <= 18  # early February in the California foothills
    assert abs(first.start_utc - sunset) <= timedelta(minutes=5)
    assert first.start_utc.minute % 10 == 0 and first.start_utc.second == 0
    by_night: dict[tuple[str, object], list[float]] = {}
    for plan in plans:
        by_night.setdefault((plan.serial, plan.night.date), []).append(plan.temperature_c)
    for temps in by_night.values():
        assert temps[0] > temps[-1] + 1.0


def test_call_rate_and_activity_rise_with_temperature(tmp_path: Path) -> None:
    assert grunt_rate_hz(6) < grunt_rate_hz(10) < grunt_rate_hz(16)
    season = generate_season(tmp_path, SeasonConfig(nights=6, hours_after_sunset=3.0))
    rows = read_ground_truth(season.ground_truth)
    temps = np.array([float(r["temperature_c"]) for r in rows])
    rates = np.array([float(r["grunt_rate_hz"]) for r in rows])
    assert np.corrcoef(temps, rates)[0, 1] > 0.9
    files = list(csv.DictReader((tmp_path / "recordings.csv").open()))
    t = np.array([float(f["temperature_c"]) for f in files])
    calls = np.array([int(f["calls"]) for f in files])
    assert calls[t >= np.median(t)].mean() > 1.5 * calls[t < np.median(t)].mean()


def test_battery_gap_and_failing_card(tmp_path: Path) -> None:
    config = SeasonConfig(nights=6, hours_after_sunset=1.0, low_battery_start_v=3.63)
    plans = plan_season(config)
    low = [p for p in plans if p.serial == "24E1440A5F1C2B03"]
    assert [p.stop_reason for p in low].count("low voltage") == 1
    nights = sorted({p.night.date for p in low})
    assert len(nights) == 4  # two nights without audio, then fresh batteries
    assert max(p.battery_v for p in low if p.night.date == nights[-1]) > 4.5
    cut = [p for p in plans if p.kept_fraction < 1]
    assert len(cut) == 1 and cut[0].serial == "24E1440A5F1C2B04"


def test_planted_grunts_sit_in_their_band(tmp_path: Path) -> None:
    from core.demo.sounds import GruntSeries, render_series

    out = np.zeros(16_000 * 4)
    series = GruntSeries(start_s=0.5, end_s=2.7, grunts=5, rate_hz=2.0, f0_hz=380.0, level=0.1)
    render_series(out, 16_000, series, np.random.default_rng(0))
    power = np.abs(np.fft.rfft(out)) ** 2
    freqs = np.fft.rfftfreq(out.size, 1 / 16_000)
    inside = power[(freqs >= CALL_BAND_HZ[0]) & (freqs <= CALL_BAND_HZ[1] * 1.25)].sum()
    assert inside / power.sum() > 0.9
    assert np.abs(out[: 8000 - 100]).max() == 0 and np.abs(out[int(2.8 * 16_000) :]).max() == 0
    assert series.end_s == pytest.approx(0.5 + 4 / 2.0 + 0.2)
