"""Survey occasions: the columns of a detection history, built from nights.

An occasion is one night by default, or ``N`` consecutive nights. In ``range`` mode the
occasions tile every night from the first to the last of the range (so a night without
audio is an occasion with no effort, ``NA`` in the detection history); in ``recorded`` mode
only nights with recordings at some site are used, ``N`` of them to an occasion. A range of
more than :data:`core.report.ranges.MAX_SPAN_NIGHTS` nights is laid out in ``recorded`` mode
instead (one recorder dated 1970 would otherwise give 20,000 columns), and the survey's
notes say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from core.report.ranges import MAX_SPAN_NIGHTS, NightsMode, every_night

OCCASION_COLUMNS = ("occasion", "first_night", "last_night", "nights", "nights_in_occasion")


@dataclass(frozen=True)
class Occasions:
    """Occasions in order, each a list of nights, and how they were laid out."""

    nights: list[list[date]]
    mode: NightsMode
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Column names: the first night of each occasion, ``YYYY-MM-DD``."""
        return [group[0].isoformat() for group in self.nights]

    def index_of(self) -> dict[date, int]:
        """Night -> occasion number (0-based), for every night in an occasion."""
        return {night: k for k, group in enumerate(self.nights) for night in group}

    def table(self, occasion_nights: int) -> pd.DataFrame:
        """One row per occasion: name, first and last night, nights it holds, nights meant."""
        rows = [
            (name, group[0], group[-1], len(group), occasion_nights)
            for name, group in zip(self.names, self.nights, strict=True)
        ]
        return pd.DataFrame(rows, columns=list(OCCASION_COLUMNS))


def build_occasions(
    recorded: Iterable[date],
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    occasion_nights: int = 1,
    mode: NightsMode = "range",
    max_span: int = MAX_SPAN_NIGHTS,
) -> Occasions:
    """Occasions over the nights of a range.

    Parameters
    ----------
    recorded
        Nights with recordings (at any site), repeats allowed.
    date_from, date_to
        The range (inclusive); ``None``: the first or last recorded night.
    occasion_nights
        Nights per occasion (at least 1); the last occasion may hold fewer.
    mode
        ``range`` (every night of the range) or ``recorded`` (recorded nights only).
    max_span
        The longest range laid out night by night.

    Raises
    ------
    ValueError
        When ``occasion_nights`` is below 1.
    """
    if occasion_nights < 1:
        raise ValueError(f"occasions of {occasion_nights} nights: use 1 or more")
    nights = sorted(
        n
        for n in set(recorded)
        if (date_from is None or n >= date_from) and (date_to is None or n <= date_to)
    )
    notes: list[str] = []
    axis: list[date] = nights
    if mode == "range":
        first = date_from or (nights[0] if nights else None)
        last = date_to or (nights[-1] if nights else None)
        every = every_night(first, last, max_span=max_span) if first and last else []
        if every is None:
            assert first is not None and last is not None
            span = (last - first).days + 1
            notes.append(
                f"the range {first} to {last} spans {span} nights, more than {max_span}: "
                "occasions are built from nights with recordings only"
            )
            mode = "recorded"
        else:
            axis = every
    groups = [axis[k : k + occasion_nights] for k in range(0, len(axis), occasion_nights)]
    return Occasions(nights=groups, mode=mode, notes=notes)
