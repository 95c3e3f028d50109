"""Per-night survey effort and calls: the Nights sheet of the site report.

Frogs call at night, so a night runs from local noon to the next local noon and is labelled
by the evening's date: a call at 02:10 on 2 December belongs to the night of 1 December.
Effort is kept apart from calls: a night of good audio with no calls reads ``no calls`` with
its minutes recorded, a night without audio reads ``no audio`` with 0 minutes, and a night
whose recordings could not be analysed reads ``not analysed``; an absence of calls means
something only where there was audio to hear them in.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import date, datetime, timedelta

import pandas as pd

NIGHT_COLUMNS: tuple[str, ...] = (
    "Night",
    "Effort",
    "Recordings",
    "Minutes Recorded",
    "Minutes Analysed",
    "Minutes with Calls",
    "Events",
    "Confirmed Events",
    "First Call (Local)",
    "Last Call (Local)",
    "Mean Temperature (C)",
)
NO_AUDIO, NOT_ANALYSED, NO_CALLS, CALLS = "no audio", "not analysed", "no calls", "calls"
_NOON = timedelta(hours=12)


def local_start(recorded_at: datetime | pd.Timestamp | None, offset_min: int) -> datetime | None:
    """Local wall-clock start of a recording, as a naive datetime (``None`` if unknown).

    Parameters
    ----------
    recorded_at
        Start time, timezone-aware UTC (a naive value is taken as UTC).
    offset_min
        The recorder's offset from UTC, in minutes.
    """
    if recorded_at is None or pd.isna(recorded_at):
        return None
    ts = pd.Timestamp(recorded_at)
    ts = ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts
    return (ts + pd.Timedelta(minutes=int(offset_min))).to_pydatetime()


def night_of(local_time: datetime | None) -> date | None:
    """The night a local time belongs to: the date of the evening before the next noon."""
    return None if local_time is None or pd.isna(local_time) else (local_time - _NOON).date()


def _call_minutes(starts: pd.Series, ends: pd.Series) -> int:
    """Distinct local clock minutes that an event overlaps (the usual "call minutes")."""
    minutes: set[datetime] = set()
    for start, end in zip(starts, ends, strict=True):
        first = start.replace(second=0, microsecond=0)
        # An event that ends exactly on a minute boundary does not reach into that minute.
        span_s = max((end - first).total_seconds(), 1e-9)
        for k in range(math.ceil(span_s / 60)):
            minutes.add(first + timedelta(minutes=k))
    return len(minutes)


def build_nights(
    recs: pd.DataFrame,
    calls: pd.DataFrame,
    analysed: Collection[object],
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> pd.DataFrame:
    """One row per night in the range, effort-aware.

    Parameters
    ----------
    recs
        Recordings with ``recording_id``, ``local_start`` (naive local datetime), ``night``,
        ``duration_s`` and ``temperature_c``.
    calls
        Events of the target labels: ``recording_id``, ``start_s``, ``end_s``, ``verdict``.
    analysed
        IDs of the recordings the model scored.
    date_from, date_to
        First and last night (inclusive); ``None``: the first or last night with audio.
        Nights in the range without audio get a row marked ``no audio``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NIGHT_COLUMNS`; minutes are minutes of audio (float), times local.
    """
    nights = sorted(set(recs["night"].dropna()))
    first = date_from or (nights[0] if nights else None)
    last = date_to or (nights[-1] if nights else None)
    if first is None or last is None or first > last:
        return pd.DataFrame(columns=list(NIGHT_COLUMNS))
    by_rec = recs.set_index("recording_id")
    calls = calls[calls["recording_id"].isin(by_rec.index)].copy()
    calls["night"] = calls["recording_id"].map(by_rec["night"])
    base = calls["recording_id"].map(by_rec["local_start"])
    calls["call_start"] = [
        b + timedelta(seconds=float(s)) for b, s in zip(base, calls["start_s"], strict=True)
    ]
    calls["call_end"] = [
        b + timedelta(seconds=float(e)) for b, e in zip(base, calls["end_s"], strict=True)
    ]
    recs = recs.assign(
        minutes=recs["duration_s"].astype(float) / 60.0,
        analysed=recs["recording_id"].isin(set(analysed)),
    )
    rows = []
    day = first
    while day <= last:
        night_recs = recs[recs["night"] == day]
        night_calls = calls[calls["night"] == day]
        recorded = float(night_recs["minutes"].fillna(0.0).sum())
        analysed_min = float(night_recs.loc[night_recs["analysed"], "minutes"].fillna(0.0).sum())
        if night_recs.empty:
            effort = NO_AUDIO
        elif not night_recs["analysed"].any():
            effort = NOT_ANALYSED
        else:
            effort = CALLS if len(night_calls) else NO_CALLS
        verdicts = night_calls["verdict"].astype("string").str.lower()
        temperature = night_recs["temperature_c"].astype(float).mean()
        rows.append(
            {
                "Night": day,
                "Effort": effort,
                "Recordings": len(night_recs),
                "Minutes Recorded": round(recorded, 2),
                "Minutes Analysed": round(analysed_min, 2),
                "Minutes with Calls": _call_minutes(
                    night_calls["call_start"], night_calls["call_end"]
                ),
                "Events": len(night_calls),
                "Confirmed Events": int((verdicts == "confirmed").sum()),
                "First Call (Local)": night_calls["call_start"].min() if len(night_calls) else None,
                "Last Call (Local)": night_calls["call_start"].max() if len(night_calls) else None,
                "Mean Temperature (C)": round(temperature, 1) if pd.notna(temperature) else None,
            }
        )
        day += timedelta(days=1)
    return pd.DataFrame(rows, columns=list(NIGHT_COLUMNS))
