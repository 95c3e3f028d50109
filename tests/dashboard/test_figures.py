"""dashboard.figures: calls per night keeps nights without audio apart from nights without calls."""

from __future__ import annotations

from datetime import date

import pandas as pd

from core.report.nights import CALLS, NIGHT_COLUMNS, NO_AUDIO, NO_CALLS, NOT_ANALYSED
from dashboard.figures import MINUTES_AXIS_TITLE, NIGHT_AXIS_TITLE, calls_per_night

CALL_NIGHT, QUIET_NIGHT, SILENT_NIGHT, SKIPPED_NIGHT = (date(2024, 3, d) for d in (1, 2, 3, 4))


def _nights() -> pd.DataFrame:
    # (night, effort, recordings, minutes recorded, minutes analysed, call minutes, events)
    rows = [
        (CALL_NIGHT, CALLS, 10, 600.0, 600.0, 42, 57),
        (QUIET_NIGHT, NO_CALLS, 10, 600.0, 600.0, 0, 0),
        (SILENT_NIGHT, NO_AUDIO, 0, 0.0, 0.0, 0, 0),
        (SKIPPED_NIGHT, NOT_ANALYSED, 4, 240.0, 0.0, 0, 0),
    ]
    frame = pd.DataFrame(rows, columns=list(NIGHT_COLUMNS[:7]))
    frame["Confirmed Events"] = [3, 0, 0, 0]
    for column in NIGHT_COLUMNS[8:]:
        frame[column] = None
    return frame[list(NIGHT_COLUMNS)]


def _trace(fig, name: str):
    (trace,) = [t for t in fig.data if t.name == name]
    return trace


def _points(trace) -> dict[date, float]:
    return {pd.Timestamp(x).date(): y for x, y in zip(trace.x, trace.y, strict=True)}


def test_traces_and_axis_titles() -> None:
    fig = calls_per_night(_nights())
    assert [t.name for t in fig.data] == [
        "Minutes recorded",
        "Minutes with calls",
        "No audio",
        "Not analysed",
    ]
    assert [t.type for t in fig.data] == ["bar", "bar", "scatter", "scatter"]
    assert fig.layout.xaxis.title.text == NIGHT_AXIS_TITLE
    assert fig.layout.yaxis.title.text == MINUTES_AXIS_TITLE
    # Overlaid, so the calls bar sits inside the bar of audio it was heard in.
    assert fig.layout.barmode == "overlay"


def test_no_audio_is_marked_and_no_calls_is_a_bar_of_effort() -> None:
    fig = calls_per_night(_nights())
    recorded = _points(_trace(fig, "Minutes recorded"))
    calls = _points(_trace(fig, "Minutes with calls"))
    no_audio = _points(_trace(fig, "No audio"))
    # A night of no calls: a full bar of recorded minutes, a calls bar of zero.
    assert recorded[QUIET_NIGHT] == 600.0 and calls[QUIET_NIGHT] == 0
    # A night without audio: no bar at all, only the "No audio" marker.
    assert SILENT_NIGHT not in recorded and SILENT_NIGHT not in calls
    assert no_audio == {SILENT_NIGHT: 0}
    assert calls[CALL_NIGHT] == 42
    assert _points(_trace(fig, "Not analysed")) == {SKIPPED_NIGHT: 240.0}


def test_hover_carries_effort_and_events() -> None:
    fig = calls_per_night(_nights())
    bar = _trace(fig, "Minutes with calls")
    first = list(bar.customdata[0])
    assert first == [CALLS, 10, 600.0, 57, 3]
    assert "events" in bar.hovertemplate and "confirmed" in bar.hovertemplate


def test_empty_figure_says_so_and_keeps_its_axes() -> None:
    fig = calls_per_night(pd.DataFrame(columns=list(NIGHT_COLUMNS)))
    assert all(len(t.x) == 0 for t in fig.data)
    assert "No recordings" in fig.layout.annotations[0].text
    assert fig.layout.xaxis.title.text == NIGHT_AXIS_TITLE
    assert fig.layout.yaxis.title.text == MINUTES_AXIS_TITLE
