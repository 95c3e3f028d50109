"""Values a header can hold but a recorder cannot have meant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import CorruptHeaderError
from core.metadata.plausibility import check_samplerate, clock_issue

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("rate", [1_000, 8_000, 48_000, 384_000, 1_000_000])
def test_recorder_sample_rates_pass(rate: int) -> None:
    check_samplerate("a.wav", rate)


@pytest.mark.parametrize("rate", [0, 12, 64, 999, 1_000_001, 2**31 - 1])
def test_impossible_sample_rates_say_why(rate: int) -> None:
    with pytest.raises(CorruptHeaderError, match=rf"a.wav: sample rate {rate} Hz is outside"):
        check_samplerate("a.wav", rate)


def test_the_range_is_configurable() -> None:
    check_samplerate("a.wav", 500, min_hz=100)
    with pytest.raises(CorruptHeaderError, match="100-2000 Hz"):
        check_samplerate("a.wav", 4000, min_hz=100, max_hz=2000)


@pytest.mark.parametrize(
    ("when", "recorder", "starts"),
    [
        (datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC), "AudioMoth", "clock not set"),
        (datetime(1970, 1, 20, tzinfo=UTC), None, "clock not set"),
        (datetime(2000, 1, 1, 3, tzinfo=UTC), "Song Meter", "clock not set"),
        (datetime(1, 1, 1, tzinfo=UTC), None, "clock not set or header damaged"),
        (datetime(2016, 6, 1, tzinfo=UTC), "AudioMoth", "clock not set"),
        (datetime(9999, 12, 31, tzinfo=UTC), None, "clock wrong"),
        (NOW + timedelta(days=2), "AudioMoth", "clock wrong"),
    ],
)
def test_impossible_times_are_flagged(when: datetime, recorder: str | None, starts: str) -> None:
    issue = clock_issue(when, recorder=recorder, now=NOW)
    assert issue is not None and issue.startswith(starts)


@pytest.mark.parametrize(
    ("when", "recorder"),
    [
        (datetime(2016, 6, 1, tzinfo=UTC), "Song Meter"),  # older recorders' dates stay valid
        (datetime(1995, 5, 1, tzinfo=UTC), None),
        (datetime(2024, 3, 1, 3, tzinfo=UTC), "AudioMoth"),
        (NOW + timedelta(hours=20), "AudioMoth"),  # clock drift and zone slips
        (None, "AudioMoth"),
    ],
)
def test_plausible_times_pass(when: datetime | None, recorder: str | None) -> None:
    assert clock_issue(when, recorder=recorder, now=NOW) is None
