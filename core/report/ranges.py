"""Which nights a report or survey covers: a season, a date range, or recorded nights only.

Night ranges are built from the nights that have recordings, never by walking every
calendar day between two dates: a recorder whose clock was never set (1970) beside one in
2024 must not make 19,000 rows. In a range, runs of empty nights up to
:data:`MAX_EMPTY_RUN` long are listed night by night (a short gap is worth seeing); a longer
run becomes one span that the Nights sheet prints as a single "no audio" row.

A *season* is a named range of nights: ``--season 2023-24`` with the default season of
1 November to 30 April (the breeding season of the California red-legged frog) covers the
nights of 2023-11-01 to 2024-04-30. A season inside one calendar year (``03-01`` to
``08-31``) is named by its year alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

NightsMode = Literal["range", "recorded"]
NIGHTS_MODES: tuple[str, ...] = ("range", "recorded")
MAX_EMPTY_RUN = 7
# Occasions of a survey (and so columns of a detection history) laid out night by night at
# most this many nights; beyond it the survey uses recorded nights only.
MAX_SPAN_NIGHTS = 400
DEFAULT_SEASON = ((11, 1), (4, 30))
_SEASON = re.compile(r"^(?P<first>\d{4})(?:\s*[-/]\s*(?P<second>\d{2}|\d{4}))?$")
_MONTH_DAY = re.compile(r"^(?P<month>\d{1,2})-(?P<day>\d{1,2})$")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class NightSpan:
    """Consecutive nights ``first``..``last`` (evening dates, inclusive).

    ``recorded`` spans are single nights with recordings; the others hold no audio.
    """

    first: date
    last: date
    recorded: bool

    @property
    def nights(self) -> int:
        """Number of nights in the span."""
        return (self.last - self.first).days + 1


def parse_month_day(text: str) -> tuple[int, int]:
    """``11-01`` -> ``(11, 1)``.

    Raises
    ------
    ValueError
        When the text is not a valid ``MM-DD`` (the message quotes it).
    """
    match = _MONTH_DAY.match(text.strip())
    if match is None:
        raise ValueError(f"not a month and day: {text!r} (expected MM-DD, e.g. 11-01)")
    month, day = int(match["month"]), int(match["day"])
    try:
        date(2000, month, day)  # a leap year, so 02-29 is allowed
    except ValueError as exc:
        raise ValueError(f"not a month and day: {text!r} ({exc})") from exc
    return month, day


def season_range(
    label: str,
    *,
    start: tuple[int, int] = DEFAULT_SEASON[0],
    end: tuple[int, int] = DEFAULT_SEASON[1],
) -> tuple[date, date]:
    """First and last night of a season.

    Parameters
    ----------
    label
        ``2023-24``, ``2023/2024`` or ``2023`` (the year the season starts in).
    start, end
        Month and day of the season's first and last night; a season whose end comes
        before its start in the calendar runs into the next year.

    Raises
    ------
    ValueError
        When the label is not a season or names years that do not follow each other.
    """
    match = _SEASON.match(label.strip())
    if match is None:
        raise ValueError(f"not a season: {label!r} (expected e.g. 2023-24 or 2023)")
    year = int(match["first"])
    crosses = end < start
    if match["second"]:
        second = int(match["second"])
        second += (year // 100) * 100 if second < 100 else 0
        if second != year + (1 if crosses else 0):
            expected = f"{year}-{(year + 1) % 100:02d}" if crosses else str(year)
            raise ValueError(f"season {label!r} does not match its months: use {expected}")

    def clamp(y: int, month_day: tuple[int, int]) -> date:
        month, day = month_day
        if (month, day) == (2, 29) and not _leap(y):
            day = 28
        return date(y, month, day)

    return clamp(year, start), clamp(year + (1 if crosses else 0), end)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def night_spans(
    recorded: Iterable[date],
    first: date | None = None,
    last: date | None = None,
    *,
    mode: NightsMode = "range",
    max_empty_run: int = MAX_EMPTY_RUN,
) -> list[NightSpan]:
    """The nights to show, in order: each recorded night, and (in ``range`` mode) the empty
    nights between, runs longer than ``max_empty_run`` folded into one span.

    Parameters
    ----------
    recorded
        Nights with recordings (any order, repeats allowed).
    first, last
        The range (inclusive); ``None``: the first or last recorded night. Recorded nights
        outside it are left out.
    mode
        ``range``: every night of the range; ``recorded``: recorded nights only.

    Returns
    -------
    list[NightSpan]
        Bounded by the number of recorded nights, not by the length of the range.
    """
    nights = sorted(set(recorded))
    if first is not None:
        nights = [n for n in nights if n >= first]
    if last is not None:
        nights = [n for n in nights if n <= last]
    spans = [NightSpan(n, n, True) for n in nights]
    if mode == "recorded":
        return spans
    start = first or (nights[0] if nights else None)
    stop = last or (nights[-1] if nights else None)
    if start is None or stop is None or start > stop:
        return []
    out: list[NightSpan] = []
    cursor = start
    for span in [*spans, None]:
        gap_end = (span.first - _ONE_DAY) if span else stop
        if cursor <= gap_end:
            out.extend(_empty(cursor, gap_end, max_empty_run))
        if span is not None:
            out.append(span)
            cursor = span.first + _ONE_DAY
    return out


def _empty(first: date, last: date, max_run: int) -> list[NightSpan]:
    n = (last - first).days + 1
    if n > max_run:
        return [NightSpan(first, last, False)]
    return [NightSpan(first + k * _ONE_DAY, first + k * _ONE_DAY, False) for k in range(n)]


def every_night(first: date, last: date, *, max_span: int = MAX_SPAN_NIGHTS) -> list[date] | None:
    """Every night from ``first`` to ``last``, or ``None`` when that is over ``max_span``."""
    n = (last - first).days + 1
    if n > max_span:
        return None
    return [first + k * _ONE_DAY for k in range(max(n, 0))]


def resolve_range(
    *,
    season: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    season_start: tuple[int, int] = DEFAULT_SEASON[0],
    season_end: tuple[int, int] = DEFAULT_SEASON[1],
) -> tuple[date | None, date | None]:
    """The first and last night asked for, by season or by dates.

    Raises
    ------
    ValueError
        Both a season and dates given, a season that does not parse, or ``date_from`` after
        ``date_to`` (the message says what to do).
    """
    if season is not None:
        if date_from is not None or date_to is not None:
            raise ValueError("give a season or a date range (--from/--to), not both")
        return season_range(season, start=season_start, end=season_end)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValueError(f"--from {date_from} is after --to {date_to}: swap them")
    return date_from, date_to
