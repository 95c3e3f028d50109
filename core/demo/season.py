"""The plan of a synthetic season: sites, recorders, a sunset schedule, weather and batteries.

:func:`plan_season` turns a :class:`SeasonConfig` into one :class:`PlannedRecording` per file
the recorders would have written, deterministically from the seed. Nothing is rendered here
(:mod:`core.demo.generate` does that).

* Sites: three ponds in the foothills east of the Diablo Range (made-up names, plausible
  coordinates), one with two recorders.
* Schedule: like AudioMoth's sunset mode, ``recording_s`` every ``interval_min`` from sunset
  (rounded to 10 minutes) for ``hours_after_sunset`` hours, clocks on UTC-8.
* Weather per night: a seasonal temperature trend with warm and cold spells, cooling through
  each night; rain on some nights (cooler); wind of varying strength.
* Batteries drain per recording; one recorder starts on used batteries, stops "due to low
  voltage" and records nothing until they are replaced two nights later (a gap); another
  has a failing card: one night its last file is cut short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class SiteSpec(BaseModel):
    """A pond with its recorders (16-hex-digit serials)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    latitude: float
    longitude: float
    devices: list[str]


DEFAULT_SITES = (
    SiteSpec(
        name="Oak Hollow Pond (synthetic)",
        latitude=37.512304,
        longitude=-121.723118,
        devices=["24E1440A5F1C2B01", "24E1440A5F1C2B02"],
    ),
    SiteSpec(
        name="Manzanita Creek (synthetic)",
        latitude=37.531877,
        longitude=-121.705462,
        devices=["24E1440A5F1C2B03"],
    ),
    SiteSpec(
        name="Quarry Pond (synthetic)",
        latitude=37.498120,
        longitude=-121.688905,
        devices=["24E1440A5F1C2B04"],
    ),
)


class SeasonConfig(BaseModel):
    """Everything that decides a synthetic season. Same config, same files, byte for byte."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 20260201
    first_night: date = date(2026, 2, 2)
    nights: int = Field(default=8, ge=1, le=120)
    recording_s: float = Field(default=30.0, ge=5.0, le=600.0)
    interval_min: int = Field(default=30, ge=1)
    hours_after_sunset: float = Field(default=4.0, gt=0, le=14)
    samplerate_hz: int = Field(default=16_000, ge=8_000)
    utc_offset_min: int = -480
    sites: tuple[SiteSpec, ...] = DEFAULT_SITES
    rain_probability: float = Field(default=0.25, ge=0, le=1)
    #: Recorder (index into all devices) that runs out of batteries, and the one whose card fails.
    low_battery_device: int | None = 2
    low_battery_start_v: float = 3.72
    failing_card_device: int | None = 3


@dataclass(frozen=True)
class Night:
    """The weather of one night (``date`` is the evening's local date)."""

    date: date
    dusk_temperature_c: float
    dawn_temperature_c: float
    rain: float
    wind: float
    chorus_callers: int


@dataclass(frozen=True)
class PlannedRecording:
    """One file a recorder writes."""

    site: SiteSpec
    serial: str
    start_utc: datetime
    duration_s: float
    night: Night
    hours_after_sunset: float
    temperature_c: float
    battery_v: float
    rain: float
    stop_reason: str | None = None
    #: Fraction of the audio that reaches the card (a failing card), else 1.
    kept_fraction: float = 1.0

    @property
    def seed(self) -> int:
        """A per-file seed (stable across runs and independent of the file order)."""
        return int(self.start_utc.timestamp()) ^ int(self.serial[-6:], 16)


def sunset_utc(day: date, latitude: float, longitude: float) -> datetime:
    """Sunset on ``day`` at a place, UTC, to about two minutes (NOAA's simple formulas)."""
    n = day.timetuple().tm_yday
    decl = math.radians(23.44) * math.sin(2 * math.pi * (284 + n) / 365)
    lat = math.radians(latitude)
    cos_h = (math.sin(math.radians(-0.833)) - math.sin(lat) * math.sin(decl)) / (
        math.cos(lat) * math.cos(decl)
    )
    hour_angle = math.degrees(math.acos(max(-1.0, min(1.0, cos_h))))
    b = 2 * math.pi * (n - 81) / 364
    equation_of_time = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)
    noon_min = 720 - 4 * longitude - equation_of_time
    return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(minutes=noon_min + 4 * hour_angle)


def plan_nights(config: SeasonConfig, rng: np.random.Generator) -> list[Night]:
    """The weather of every night: a warming trend, warm and cold spells, rain, wind."""
    nights = []
    spell = 0.0
    wet = round(config.rain_probability * config.nights)
    wet = max(wet, 1) if config.rain_probability > 0 and config.nights > 1 else wet
    rainy = set(rng.choice(config.nights, size=wet, replace=False).tolist())
    for k in range(config.nights):
        spell = 0.6 * spell + rng.normal(0, 1.6)
        trend = 9.0 + 4.0 * k / max(1, config.nights - 1)
        rain = float(rng.uniform(0.3, 1.0)) if k in rainy else 0.0
        dusk = trend + spell + 3.5 - 2.0 * (rain > 0)
        nights.append(
            Night(
                date=config.first_night + timedelta(days=k),
                dusk_temperature_c=round(dusk, 2),
                dawn_temperature_c=round(dusk - rng.uniform(4.0, 7.0), 2),
                rain=rain,
                wind=float(rng.uniform(0.005, 0.03)),
                chorus_callers=int(rng.integers(0, 7)),
            )
        )
    return nights


def _temperature(night: Night, hours: float, offset_c: float, rng: np.random.Generator) -> float:
    # Newtonian cooling from dusk toward the dawn minimum, plus sensor noise.
    fall = 1.0 - math.exp(-hours / 4.0)
    drop = night.dusk_temperature_c - night.dawn_temperature_c
    return round(night.dusk_temperature_c - drop * fall / 0.92 + offset_c + rng.normal(0, 0.2), 1)


def plan_season(config: SeasonConfig) -> list[PlannedRecording]:
    """Every recording of the season, in device then time order."""
    rng = np.random.default_rng(config.seed)
    nights = plan_nights(config, rng)
    devices = [(site, serial) for site in config.sites for serial in site.devices]
    planned: list[PlannedRecording] = []
    step_s = config.interval_min * 60
    per_night = int(config.hours_after_sunset * 3600 // step_s) + 1
    for index, (site, serial) in enumerate(devices):
        offset_c = float(rng.normal(0, 0.6))  # microhabitat of the recorder
        battery = config.low_battery_start_v if index == config.low_battery_device else 4.7
        failing_night = int(rng.integers(0, config.nights)) if config.nights > 1 else 0
        dead_until: date | None = None
        for k, night in enumerate(nights):
            if dead_until is not None:
                if night.date < dead_until:
                    continue
                dead_until, battery = None, 4.7  # fresh batteries
            sunset = sunset_utc(night.date, site.latitude, site.longitude)
            # Rounded to the nearest 10 minutes, as the app's sunset rounding does.
            first = datetime.fromtimestamp(round(sunset.timestamp() / 600) * 600, UTC)
            for slot in range(per_night):
                start = first + timedelta(seconds=slot * step_s)
                hours = (start - sunset).total_seconds() / 3600
                battery -= 0.004 * config.recording_s / 30
                stop = None
                duration = config.recording_s
                if battery < 3.6:
                    stop, duration = "low voltage", round(config.recording_s * 0.4, 1)
                kept = 1.0
                failing = index == config.failing_card_device and k == failing_night
                if failing and slot == per_night - 1 and per_night > 1:
                    kept = 0.37
                planned.append(
                    PlannedRecording(
                        site=site,
                        serial=serial,
                        start_utc=start,
                        duration_s=duration,
                        night=night,
                        hours_after_sunset=round(hours, 3),
                        temperature_c=_temperature(night, hours, offset_c, rng),
                        battery_v=round(battery + rng.normal(0, 0.02), 2),
                        rain=night.rain,
                        stop_reason=stop,
                        kept_fraction=kept,
                    )
                )
                if stop == "low voltage":
                    dead_until = night.date + timedelta(days=3)
                    break
    return planned
