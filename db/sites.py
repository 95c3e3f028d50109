"""The sites file: sites, their recorders' schedules and device deployments, read, checked
and stored.

A sites file is YAML::

    match_radius_m: 250          # GUANO positions this close to a site belong to it
    sites:
      - name: Laguna Pond
        latitude: 37.0412
        longitude: -122.0731
        notes: north shore, under the willows
        folders: [laguna]        # any folder named "laguna" in a recording's path
        devices: [24E144085F256162]
      - name: Upper Creek
        folders: [/data/audio/upper_creek]   # an absolute folder prefix
        schedule:                # how its recorders record (see RecordingSchedule)
          {record_s: 60, every_min: 10, start: "19:00", end: "07:00"}
    deployments:                 # devices move between ponds: dated placements win
      - device: 249BC30461CBB1E6
        site: Laguna Pond
        from: 2024-02-01         # a date is the start of that day, UTC
        to: 2024-03-15           # inclusive; leave out while still deployed
        schedule: {record_s: 30, every_min: 30, start: sunset, hours: 4}   # wins over the site's

How a recording is matched to one of these sites (explicitly, by deployment, folder, device
or position) is :mod:`db.site_resolver`'s.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlmodel import Session

from core.errors import ConfigError, describe_validation_error
from db import crud

log = logging.getLogger(__name__)


class RecordingSchedule(BaseModel):
    """How a recorder records each night, as an AudioMoth is configured: ``record_s``
    seconds every ``every_min`` minutes through a recording period.

    The period starts at ``start``, a local clock time (``"19:00"``) or ``sunset``, and
    lasts ``hours``, or (with a clock start) ends at ``end`` (``"07:00"``). As AudioMoth
    firmware does, a recording starts every ``every_min`` minutes from the period's start
    while inside the period, and one that would run past its end is cut there. A period
    lies within one night (local noon to noon).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_s: float = Field(gt=0)
    every_min: float = Field(gt=0)
    start: Literal["sunset"] | time = "sunset"
    hours: float | None = Field(default=None, gt=0, le=24)
    end: time | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        # YAML reads an unquoted 19:00 as 1140 (minutes, base 60); a string is parsed here.
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1440:
            return time(value // 60, value % 60)
        if isinstance(value, str) and value != "sunset":
            try:
                return time.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a time like 19:00, nor sunset") from exc
        return value

    @model_validator(mode="after")
    def _period(self) -> RecordingSchedule:
        if (self.hours is None) == (self.end is None):
            raise ValueError("give the recording period's length (hours) or its end (end)")
        if self.end is not None and self.start == "sunset":
            raise ValueError("a period from sunset needs hours, not an end time")
        if self.record_s > self.every_min * 60:
            raise ValueError(
                f"record_s ({self.record_s:g} s) is longer than every_min "
                f"({self.every_min:g} min): recordings would overlap"
            )
        if isinstance(self.start, time):
            # Minutes since local noon: the period must end by the next noon.
            begin = (self.start.hour * 60 + self.start.minute - 720) % 1440
            if begin + self.period_s / 60 > 1440:
                raise ValueError("the recording period runs past local noon, into the next night")
        return self

    @property
    def period_s(self) -> float:
        """The recording period's length (s)."""
        if self.hours is not None:
            return self.hours * 3600.0
        assert self.end is not None and isinstance(self.start, time)
        minutes = (self.end.hour - self.start.hour) * 60 + self.end.minute - self.start.minute
        return (minutes % 1440 or 1440) * 60.0

    @property
    def seconds_per_night(self) -> float:
        """Seconds of audio a full night of this schedule records."""
        step = self.every_min * 60.0
        starts = math.ceil(self.period_s / step)  # at 0, step, ... while inside the period
        last = self.period_s - (starts - 1) * step
        return (starts - 1) * self.record_s + min(self.record_s, last)

    def describe(self) -> str:
        """The schedule in words, e.g. ``30 s every 30 min for 4 h from sunset`` (whole
        minutes of recording in minutes: ``10 min every 30 min from 19:00 to 07:00``)."""
        if self.start == "sunset":
            period = f"for {self.hours:g} h from sunset"
        elif self.end is not None:
            period = f"from {self.start:%H:%M} to {self.end:%H:%M}"
        else:
            period = f"for {self.hours:g} h from {self.start:%H:%M}"
        length = (
            f"{self.record_s / 60:g} min"
            if self.record_s >= 60 and self.record_s % 60 == 0
            else f"{self.record_s:g} s"
        )
        return f"{length} every {self.every_min:g} min {period}"


def schedule_of(stored: dict | None) -> RecordingSchedule | None:
    """The schedule stored as JSON on a site or deployment (``None`` when none or invalid)."""
    if not stored:
        return None
    try:
        return RecordingSchedule.model_validate(stored)
    except ValidationError as exc:
        log.warning("stored recording schedule %s is not valid: %s", stored, exc)
        return None


class SiteSpec(BaseModel):
    """One site of the sites file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    notes: str | None = None
    folders: list[str] = Field(default_factory=list)
    devices: list[str] = Field(default_factory=list)
    schedule: RecordingSchedule | None = None


class DeploymentSpec(BaseModel):
    """A device placed at a site for a while."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    device: str = Field(min_length=1)
    site: str = Field(min_length=1)
    start: datetime = Field(alias="from")
    end: datetime | None = Field(default=None, alias="to")
    notes: str | None = None
    schedule: RecordingSchedule | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, value: object) -> object:
        return _as_utc(value, end_of_day=False)

    @field_validator("end", mode="before")
    @classmethod
    def _end(cls, value: object) -> object:
        return _as_utc(value, end_of_day=True)


class SitesFile(BaseModel):
    """The whole sites file."""

    model_config = ConfigDict(extra="forbid")

    match_radius_m: float = Field(default=250.0, gt=0)
    sites: list[SiteSpec] = Field(default_factory=list)
    deployments: list[DeploymentSpec] = Field(default_factory=list)


def _as_utc(value: object, *, end_of_day: bool) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2024-02-01T18:00:00-08:00) or a plain date")
        return value.astimezone(UTC)
    if isinstance(value, date):
        start = datetime.combine(value, time(0), tzinfo=UTC)
        return start + timedelta(days=1) if end_of_day else start
    return value


def load_sites_file(path: str | Path) -> SitesFile:
    """Read and check a sites file.

    Raises
    ------
    ConfigError
        The file is missing, not YAML, or names unknown sites or wrong fields.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the sites file: {exc}") from exc
    try:
        parsed = SitesFile.model_validate(data)
    except ValidationError as exc:
        problems = describe_validation_error(exc, "file")
        raise ConfigError(f"{path}: invalid sites file: {problems}") from exc
    names = {site.name for site in parsed.sites}
    unknown = sorted({d.site for d in parsed.deployments} - names)
    if unknown:
        raise ConfigError(f"{path}: deployments name sites not listed under sites: {unknown}")
    return parsed


def store_sites_file(*, session: Session, sites_file: SitesFile) -> None:
    """Write the file's sites, devices and deployments to the database (idempotent)."""
    sites = {
        spec.name: crud.upsert_site(
            session=session,
            name=spec.name,
            latitude=spec.latitude,
            longitude=spec.longitude,
            notes=spec.notes,
        )
        for spec in sites_file.sites
    }
    for spec in sites_file.sites:
        sites[spec.name].schedule = _stored(spec.schedule)
        session.add(sites[spec.name])
        for serial in spec.devices:
            crud.get_or_create_device(session=session, serial=serial)
    for dep in sites_file.deployments:
        device = crud.get_or_create_device(session=session, serial=dep.device)
        assert device.id is not None and sites[dep.site].id is not None
        deployment = crud.upsert_deployment(
            session=session,
            device_id=device.id,
            site_id=sites[dep.site].id,  # type: ignore[arg-type]
            start_at=dep.start,
            end_at=dep.end,
            notes=dep.notes,
        )
        deployment.schedule = _stored(dep.schedule)
        session.add(deployment)


def _stored(schedule: RecordingSchedule | None) -> dict | None:
    return None if schedule is None else schedule.model_dump(mode="json", exclude_none=True)
