"""The dashboard's sums per site and night computed from source rows: pure arithmetic, no
database.

:func:`compute_sums` turns the recordings on a night, their finished runs and their events
into the rows of the three sums tables (:class:`~db.models.ActivityHour`,
:class:`~db.models.ActivityDegree`, :class:`~db.models.DeviceNight`); :mod:`db.activity_sums`
reads those source rows, and writes what this returns.

"Minutes with calls" counts each minute of a recording that an event of a target label
overlaps, weighted by how much audio that minute holds, so a 4-second recording with a call
counts 4/60 of a minute with calls and calls never exceed the audio.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

# Each sums table's key and value columns, in the order compute_sums adds them up.
HOUR_KEYS = ("site_id", "night", "local_hour", "model_version_id")
HOUR_VALUES = ("recordings", "audio_s", "call_s", "events", "awaiting_review")
DEGREE_KEYS = ("site_id", "night", "degree", "model_version_id")
DEGREE_VALUES = ("recordings", "with_calls", "temperature_sum_c")
DEVICE_KEYS = ("device_id", "site_id", "night")
DEVICE_VALUES = (
    "recordings", "latitude_sum", "latitude_n", "longitude_sum", "longitude_n",
    "first_at", "last_at", "last_ingested_at",
)  # fmt: skip


@dataclass(frozen=True)
class SourceRecording:
    """What the sums read of one recording on a night."""

    id: int
    site_id: int | None
    night: date
    hour: int
    device_id: int | None
    duration_s: float | None
    temperature_c: float | None
    latitude: float | None
    longitude: float | None
    recorded_at: datetime
    ingested_at: datetime


def compute_sums(
    recordings: Iterable[SourceRecording],
    runs: Iterable[tuple[int, int]],
    events: Iterable[tuple[int, int, str, float, float, bool]],
    targets: dict[int, frozenset[str]],
) -> tuple[list[dict], list[dict], list[dict]]:
    """The rows of the three sums tables, from source rows.

    Parameters
    ----------
    recordings
        The recordings on a night, in id order.
    runs
        ``(recording_id, model_version_id)`` of every finished (``done``) run.
    events
        ``(recording_id, model_version_id, label, start_s, end_s, reviewed)`` of every event.
    targets
        Each model version's target labels.

    Returns
    -------
    tuple of lists of dict
        Rows of ``activity_hours``, ``activity_degrees`` and ``device_nights``.
    """
    done: dict[int, set[int]] = defaultdict(set)
    for recording_id, model_id in runs:
        done[recording_id].add(model_id)
    # Per recording, per model version: its events of that version's target labels.
    calls: dict[int, dict[int, list[tuple[float, float, bool]]]] = defaultdict(dict)
    for recording_id, model_id, label, start_s, end_s, reviewed in events:
        if label in targets.get(model_id, ()):
            calls[recording_id].setdefault(model_id, []).append((start_s, end_s, bool(reviewed)))
    hours: dict[tuple, list] = {}
    degrees: dict[tuple, list] = {}
    devices: dict[tuple, list] = {}
    for rec in recordings:
        audio_s = rec.duration_s or 0.0
        _add(hours, (rec.site_id, rec.night, rec.hour, None), [1, audio_s, 0.0, 0, 0])
        called = calls.get(rec.id, {})
        for model_id in sorted(done.get(rec.id, set()) | set(called)):
            found = called.get(model_id, [])
            analysed = model_id in done.get(rec.id, ())
            _add(
                hours,
                (rec.site_id, rec.night, rec.hour, model_id),
                [
                    int(analysed),
                    audio_s if analysed else 0.0,
                    call_seconds(rec.duration_s, [(s, e) for s, e, _ in found]),
                    len(found),
                    sum(1 for *_, reviewed in found if not reviewed),
                ],
            )
            if analysed and rec.temperature_c is not None:
                key = (rec.site_id, rec.night, math.floor(rec.temperature_c), model_id)
                _add(degrees, key, [1, int(bool(found)), rec.temperature_c])
        if rec.device_id is not None:
            lat, lon = rec.latitude, rec.longitude
            _add(
                devices,
                (rec.device_id, rec.site_id, rec.night),
                [1, lat or 0.0, int(lat is not None), lon or 0.0, int(lon is not None)],
                (rec.recorded_at, rec.recorded_at, rec.ingested_at),
            )
    return (
        _rows(hours, HOUR_KEYS, HOUR_VALUES),
        _rows(degrees, DEGREE_KEYS, DEGREE_VALUES),
        _rows(devices, DEVICE_KEYS, DEVICE_VALUES),
    )


def call_seconds(duration_s: float | None, spans: Iterable[tuple[float, float]]) -> float:
    """Seconds of audio in the minutes of a recording that an event overlaps.

    Minute ``k`` (``[60k, 60k + 60)`` s) has a call when an event ``[start, end)`` overlaps
    it; each such minute counts once, with the audio it holds (the recording's end cuts the
    last one; an unknown duration counts whole minutes).
    """
    minutes: set[int] = set()
    for start_s, end_s in spans:
        k = math.floor(start_s / 60.0)
        while 60 * k < end_s:
            minutes.add(k)
            k += 1
    total = 0.0
    for k in sorted(minutes):
        left = 60.0 if duration_s is None else duration_s - 60 * k
        total += 0.0 if left <= 0 else min(left, 60.0)
    return total


def _add(
    sums: dict[tuple, list],
    key: tuple,
    values: list,
    times: tuple[datetime, datetime, datetime] | None = None,
) -> None:
    """Add ``values`` to the sums of ``key``; ``times`` (first, last, last ingested) are
    kept as the earliest, latest and latest."""
    if key not in sums:
        sums[key] = [*values, *times] if times is not None else list(values)
        return
    row = sums[key]
    for i, value in enumerate(values):
        row[i] += value
    if times is not None:
        first, last, ingested = times
        row[-3] = min(row[-3], first)
        row[-2] = max(row[-2], last)
        row[-1] = max(row[-1], ingested)


def _rows(sums: dict[tuple, list], keys: tuple[str, ...], values: tuple[str, ...]) -> list[dict]:
    return [
        dict(zip(keys, key, strict=True)) | dict(zip(values, row, strict=True))
        for key, row in sums.items()
    ]
