"""What a recorder should have recorded each night: from the schedule the sites file
declares for it (see :class:`db.sites.RecordingSchedule`), else inferred from its own nights.
Pure functions over the frames of :mod:`db.dashboard_devices`; the devices page draws the
gaps against them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from db.sites import RecordingSchedule, schedule_of

# Without a declared schedule, a full night is what most of its nights record (gaps fall
# below).
FULL_NIGHT_QUANTILE = 0.9


@dataclass(frozen=True)
class Expectation:
    """Minutes a device should record per night, and where that comes from.

    Attributes
    ----------
    minutes
        Expected minutes, indexed by night (a float for every night shown).
    source
        ``schedule``, ``inferred``, or ``schedule and inferred`` (some nights each).
    text
        One sentence for the page.
    """

    minutes: pd.Series
    source: str
    text: str


def inferred_minutes(nights: pd.DataFrame) -> float | None:
    """Minutes a full night records, from the device's own nights (``None``: no nights)."""
    if nights.empty:
        return None
    return float(nights["minutes_recorded"].quantile(FULL_NIGHT_QUANTILE))


def expected_minutes(
    nights: pd.DataFrame, deployments: pd.DataFrame, site_schedules: dict[int, dict]
) -> Expectation | None:
    """The minutes each night should hold: from the schedule the sites file declares for
    the deployment covering the night's first recording, else for the night's site; nights
    with neither get the value inferred from the device's own nights.

    Parameters
    ----------
    nights
        :func:`db.dashboard_devices.device_nights` (``night``, ``site_id``, ``first_at``,
        ``minutes_recorded``).
    deployments, site_schedules
        :func:`db.dashboard_devices.recording_schedules`.

    Returns
    -------
    Expectation or None
        ``None`` when there are no nights.
    """
    if nights.empty:
        return None
    schedules = [
        _schedule_of_night(at, site_id, deployments, site_schedules)
        for at, site_id in zip(nights["first_at"], nights["site_id"], strict=True)
    ]
    minutes = pd.Series(
        [s.seconds_per_night / 60 if s else float("nan") for s in schedules],
        index=list(nights["night"]),
        dtype=float,
    )
    declared = {s.describe(): s.seconds_per_night / 60 for s in schedules if s}
    inferred = inferred_minutes(nights)
    described = "; ".join(f"{text}: {value:.1f} min a night" for text, value in declared.items())
    guess = f"what {FULL_NIGHT_QUANTILE:.0%} of its nights stay within ({inferred:.1f} min)"
    if not declared:
        text = (
            "Expected minutes per night: inferred, as no schedule is declared for this device "
            f"in the sites file; a full night is taken as {guess}."
        )
        return Expectation(minutes.fillna(inferred), "inferred", text)
    if minutes.notna().all():
        text = f"Expected minutes per night: from the schedule in the sites file ({described})."
        return Expectation(minutes, "schedule", text)
    text = (
        f"Expected minutes per night: from the schedule in the sites file ({described}) "
        f"where one is declared; other nights: inferred, {guess}."
    )
    return Expectation(minutes.fillna(inferred), "schedule and inferred", text)


def _schedule_of_night(
    first_at: pd.Timestamp,
    site_id: object,
    deployments: pd.DataFrame,
    site_schedules: dict[int, dict],
) -> RecordingSchedule | None:
    for dep in deployments.itertuples():
        ends = dep.end_at if pd.notna(dep.end_at) else None
        if dep.start_at <= first_at and (ends is None or first_at < ends):
            if dep.schedule:
                return schedule_of(dep.schedule)
            break
    if site_id is None or pd.isna(site_id):
        return None
    return schedule_of(site_schedules.get(int(site_id)))
