"""Values a header can hold but a recorder cannot have meant.

Damaged headers and recorders whose clock was never set produce values that parse fine and
are wrong: a 12 Hz sample rate, a recording dated 1 January 1970, an AudioMoth file from
before the first AudioMoth firmware, a date next year. Believed, they cost hours of
resampling or a report with 20 000 empty nights. The rules live here, once; ingest applies
them (a sample rate out of range makes the recording ``failed``; an impossible time is
stored as read, with :func:`clock_issue`'s reason beside it, and left out of night ranges).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.errors import CorruptHeaderError

#: Default plausible sample rates of a recording, in Hz (settings may narrow or widen them).
MIN_SAMPLERATE_HZ = 1_000
MAX_SAMPLERATE_HZ = 1_000_000
#: The first AudioMoth firmware shipped in 2017; an AudioMoth time before it is a clock
#: that was never set (or lost its time when the batteries ran out).
FIRST_AUDIOMOTH = datetime(2017, 1, 1, tzinfo=UTC)
#: How far ahead of now a recording may be dated (clock drift, time-zone slips).
FUTURE_SLACK = timedelta(days=1)
# Times a real-time clock shows when it was never set: the Unix epoch (1970), the FAT/DOS
# epoch (1980) and the usual RTC reset date (2000-01-01). A recorder started on such a
# clock counts up from there, so the first days after each count as unset.
_CLOCK_RESETS = (
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(1980, 1, 1, tzinfo=UTC),
    datetime(2000, 1, 1, tzinfo=UTC),
)
_RESET_SPAN = timedelta(days=31)


def check_samplerate(
    path: str | Path,
    samplerate_hz: int,
    *,
    min_hz: int = MIN_SAMPLERATE_HZ,
    max_hz: int = MAX_SAMPLERATE_HZ,
) -> None:
    """Refuse a sample rate no recorder uses (a damaged header).

    Raises
    ------
    CorruptHeaderError
        ``samplerate_hz`` is outside ``[min_hz, max_hz]``.
    """
    if not min_hz <= samplerate_hz <= max_hz:
        raise CorruptHeaderError(
            path,
            f"sample rate {samplerate_hz} Hz is outside the plausible range "
            f"{min_hz}-{max_hz} Hz; the header is probably damaged",
            "re-copy the file from the card, or widen RANAWATCH_MIN_SAMPLERATE_HZ / "
            "RANAWATCH_MAX_SAMPLERATE_HZ if the rate is real",
        )


def clock_issue(
    recorded_at: datetime | None, *, recorder: str | None = None, now: datetime | None = None
) -> str | None:
    """Why a recording time cannot be right, or ``None`` when it can.

    Parameters
    ----------
    recorded_at
        Start of the recording, timezone-aware (naive is taken as UTC); ``None``: no issue
        (there is no time to doubt).
    recorder
        Recorder family (``"AudioMoth"`` adds the 2017 rule).
    now
        The present (default: the clock of this machine).

    Returns
    -------
    str or None
        A short reason starting with what happened, e.g. ``"clock not set (1970-01-01,
        the Unix epoch)"``.
    """
    if recorded_at is None:
        return None
    at = recorded_at if recorded_at.tzinfo else recorded_at.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    for reset in _CLOCK_RESETS:
        if reset <= at < reset + _RESET_SPAN:
            return f"clock not set (time {at:%Y-%m-%d} counts up from a clock reset date)"
    if at.year < 1970:
        return f"clock not set or header damaged (year {at.year})"
    if recorder == "AudioMoth" and at < FIRST_AUDIOMOTH:
        return f"clock not set ({at:%Y-%m-%d} is before the first AudioMoth firmware, 2017)"
    if at > now + FUTURE_SLACK:
        return f"clock wrong ({at:%Y-%m-%d} is in the future)"
    return None
