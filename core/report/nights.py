"""Per-night survey effort and calls: the Nights sheet of the site report.

Frogs call at night, so a night runs from local noon to the next local noon and is labelled
by the evening's date: a call at 02:10 on 2 December belongs to the night of 1 December.
Effort is kept apart from calls: a night of good audio with no calls reads ``no calls`` with
its minutes recorded, a night without audio reads ``no audio`` with 0 minutes, and a night
whose recordings could not be analysed reads ``not analysed``; an absence of calls means
something only where there was audio to hear them in.

The rows are built from the recorded nights (:func:`core.report.ranges.night_spans`): a
range with years between its recordings gets one ``no audio`` row per long empty run, its
last night in ``Through Night``, never a row per calendar day.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import date, datetime, timedelta

import pandas as pd

from core.report.ranges import NightsMode, NightSpan, night_spans

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
    "Through Night",
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


def call_minutes(starts: pd.Series, ends: pd.Series) -> int:
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
    mode: NightsMode = "range",
) -> pd.DataFrame:
    """One row per night in the range, effort-aware.

    Parameters
    ----------
    recs
        Recordings with ``recording_id``, ``local_start`` (naive local datetime), ``night``
        (``None``: not placed in any night), ``duration_s`` and ``temperature_c``.
    calls
        Events of the target labels: ``recording_id``, ``start_s``, ``end_s``, ``verdict``.
    analysed
        IDs of the recordings the model scored.
    date_from, date_to
        First and last night (inclusive); ``None``: the first or last night with audio.
    mode
        ``range``: nights in the range without audio get a row marked ``no audio`` (a run
        longer than :data:`core.report.ranges.MAX_EMPTY_RUN` one row, ``Through Night``
        its last); ``recorded``: nights with recordings only.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NIGHT_COLUMNS`; minutes are minutes of audio (float), times local.
    """
    placed = recs[recs["night"].notna()]
    spans = night_spans(placed["night"], date_from, date_to, mode=mode)
    if not spans:
        return pd.DataFrame(columns=list(NIGHT_COLUMNS))
    by_rec = placed.set_index("recording_id")
    calls = calls[calls["recording_id"].isin(by_rec.index)].copy()
    calls["night"] = calls["recording_id"].map(by_rec["night"])
    base = calls["recording_id"].map(by_rec["local_start"])
    calls["call_start"] = [
        b + timedelta(seconds=float(s)) for b, s in zip(base, calls["start_s"], strict=True)
    ]
    calls["call_end"] = [
        b + timedelta(seconds=float(e)) for b, e in zip(base, calls["end_s"], strict=True)
    ]
    placed = placed.assign(
        minutes=placed["duration_s"].astype(float) / 60.0,
        analysed=placed["recording_id"].isin(set(analysed)),
    )
    recs_by_night = dict(iter(placed.groupby("night")))
    calls_by_night = dict(iter(calls.groupby("night")))
    no_calls = calls.iloc[0:0]
    rows = []
    for span in spans:
        if not span.recorded:
            rows.append(_empty_row(span))
            continue
        rows.append(
            _night_row(
                span.first, recs_by_night[span.first], calls_by_night.get(span.first, no_calls)
            )
        )
    return pd.DataFrame(rows, columns=list(NIGHT_COLUMNS))


def _empty_row(span: NightSpan) -> dict[str, object]:
    return {
        "Night": span.first,
        "Effort": NO_AUDIO,
        "Recordings": 0,
        "Minutes Recorded": 0.0,
        "Minutes Analysed": 0.0,
        "Minutes with Calls": 0,
        "Events": 0,
        "Confirmed Events": 0,
        "First Call (Local)": None,
        "Last Call (Local)": None,
        "Mean Temperature (C)": None,
        "Through Night": span.last if span.nights > 1 else None,
    }


def _night_row(
    night: date, night_recs: pd.DataFrame, night_calls: pd.DataFrame
) -> dict[str, object]:
    recorded = float(night_recs["minutes"].fillna(0.0).sum())
    analysed_min = float(night_recs.loc[night_recs["analysed"], "minutes"].fillna(0.0).sum())
    if not night_recs["analysed"].any():
        effort = NOT_ANALYSED
    else:
        effort = CALLS if len(night_calls) else NO_CALLS
    verdicts = night_calls["verdict"].astype("string").str.lower()
    temperature = night_recs["temperature_c"].astype(float).mean()
    return {
        "Night": night,
        "Effort": effort,
        "Recordings": len(night_recs),
        "Minutes Recorded": round(recorded, 2),
        "Minutes Analysed": round(analysed_min, 2),
        "Minutes with Calls": call_minutes(night_calls["call_start"], night_calls["call_end"]),
        "Events": len(night_calls),
        "Confirmed Events": int((verdicts == "confirmed").sum()),
        "First Call (Local)": night_calls["call_start"].min() if len(night_calls) else None,
        "Last Call (Local)": night_calls["call_start"].max() if len(night_calls) else None,
        "Mean Temperature (C)": round(temperature, 1) if pd.notna(temperature) else None,
        "Through Night": None,
    }
