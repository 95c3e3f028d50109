"""The report's inputs: the frame contracts, what the report is about, and their preparation.

The caller (``db.reports`` + ``flows.report`` or the CLI) hands in three DataFrames and a
:class:`ReportMeta`; :func:`prepare_recordings` places each recording in its local night.

Input frames (one row each)
---------------------------
recordings
    ``recording_id``, ``file_name`` (name or path), ``device_id`` (``AudioMoth 24...``),
    ``recorded_at`` (timezone-aware UTC, may be missing), ``utc_offset_min`` (the recorder's
    offset, minutes), ``temperature_c``, ``duration_s``, ``status`` (of the model's run),
    ``analysed`` (the model scored it) and optionally ``error`` and ``clock_issue`` (why the
    recorder's time cannot be right; such a recording is listed but placed in no night).
detections
    one per event: ``detection_id``, ``recording_id``, ``start_s``, ``end_s``, ``label``,
    ``max_score``, ``mean_score`` and the latest review: ``verdict``, ``reviewer``,
    ``reviewed_at`` (UTC), ``note``.
window_summary
    one per (recording, label): ``recording_id``, ``label``, ``max_score``,
    ``positive_windows``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from core.report.nights import local_start, night_of
from core.report.ranges import NightsMode

RECORDING_COLUMNS = (
    "recording_id",
    "file_name",
    "device_id",
    "recorded_at",
    "utc_offset_min",
    "temperature_c",
    "duration_s",
    "status",
    "analysed",
)
DETECTION_COLUMNS = (
    "detection_id",
    "recording_id",
    "start_s",
    "end_s",
    "label",
    "max_score",
    "mean_score",
    "verdict",
    "reviewer",
    "reviewed_at",
    "note",
)
WINDOW_SUMMARY_COLUMNS = ("recording_id", "label", "max_score", "positive_windows")

POSITIVE, NEGATIVE, NOT_ANALYSED = "Positive", "Negative", "Not analysed"


@dataclass(frozen=True)
class ReportMeta:
    """What the About sheet says, and what the Results sheet needs besides the frames.

    Parameters
    ----------
    site_name
        Site the report covers.
    model_name, model_version
        Written as ``name:version`` in every Results row.
    latitude, longitude
        Site coordinates in decimal degrees (WGS84), if known.
    devices
        Recorder IDs deployed at the site in the range.
    date_from, date_to
        Nights covered (evening dates, inclusive); ``None``: from the data.
    checkpoint_sha256
        SHA-256 of the model checkpoint that produced the scores.
    thresholds
        Decision threshold per label (score in 0-1).
    decision_rule
        The rule in words (how windows become events and recordings "Positive").
    target_labels
        Labels whose events make a recording ``Positive``; empty: every event label.
    generated_at
        Generation time, timezone-aware UTC.
    ranawatch_version
        Version of RanaWatch that wrote the report.
    nights
        ``range``: every night of the range on the Nights sheet (long empty runs as one
        row); ``recorded``: nights with recordings only.
    season
        The season the range was given as (``2023-24``), for the About sheet.
    """

    site_name: str
    model_name: str
    model_version: str
    latitude: float | None = None
    longitude: float | None = None
    devices: Sequence[str] = ()
    date_from: date | None = None
    date_to: date | None = None
    checkpoint_sha256: str | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    decision_rule: str = ""
    target_labels: Sequence[str] = ()
    generated_at: datetime | None = None
    ranawatch_version: str = ""
    nights: NightsMode = "range"
    season: str | None = None

    @property
    def model_tag(self) -> str:
        """``name:version`` as in the original ``Model Name : Version`` column."""
        return f"{self.model_name}:{self.model_version}"


@dataclass(frozen=True)
class ReportTables:
    """The sheets of a site report, in sheet order (``survey`` is optional)."""

    results: pd.DataFrame
    detections: pd.DataFrame
    nights: pd.DataFrame
    about: pd.DataFrame
    survey: pd.DataFrame | None = None


def naive_utc(value: object) -> datetime | None:
    """A timezone-aware time as naive UTC (spreadsheets have no zones); ``None`` if missing."""
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_convert("UTC") if ts.tzinfo else ts
    return ts.tz_localize(None).to_pydatetime()


def text(value: object) -> str:
    """The value if it is text, else ``""`` (a missing cell)."""
    return value if isinstance(value, str) else ""


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ``ValueError`` naming the columns ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks columns {missing}; it has {list(frame.columns)}")


def prepare_recordings(recordings: pd.DataFrame) -> pd.DataFrame:
    """Recordings with ``local_start`` (naive local datetime) and ``night`` added, in time order.

    A recording with a ``clock_issue`` keeps its times for display but gets no night.
    """
    require_columns(recordings, RECORDING_COLUMNS, "recordings")
    recs = recordings.copy()
    recs["recorded_at"] = pd.to_datetime(recs["recorded_at"], utc=True)
    recs["utc_offset_min"] = recs["utc_offset_min"].fillna(0).astype(int)
    recs["local_start"] = [
        local_start(t, m) for t, m in zip(recs["recorded_at"], recs["utc_offset_min"], strict=True)
    ]
    recs["night"] = recs["local_start"].map(night_of)
    if "clock_issue" in recs:
        bad_clock = recs["clock_issue"].map(_is_set).astype(bool)
        recs.loc[bad_clock, "night"] = None
    recs["analysed"] = recs["analysed"].fillna(False).astype(bool)
    return recs.sort_values(["recorded_at", "file_name"], kind="stable").reset_index(drop=True)


def _is_set(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and bool(value)


def filter_range(recs: pd.DataFrame, date_from: date | None, date_to: date | None) -> pd.DataFrame:
    """Keep the recordings whose night is in the range; with a range, a recording of
    unknown time (or a clock that cannot be right) cannot be placed in it and is left out."""
    if date_from is None and date_to is None:
        return recs
    first, last = date_from or date.min, date_to or date.max
    keep = recs["night"].map(lambda n: n is not None and not pd.isna(n) and first <= n <= last)
    return recs[keep.astype(bool)].reset_index(drop=True)


def target_calls(detections: pd.DataFrame, meta: ReportMeta) -> pd.DataFrame:
    """The events of the target labels (every label when none is named)."""
    targets = set(meta.target_labels) or set(detections["label"])
    return detections[detections["label"].isin(targets)]
