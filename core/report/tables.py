"""Build the per-site report tables (Results, Detections, Nights, About) from plain frames.

Pure: no database, no files. The caller (``db.reports`` + ``flows.report`` or the CLI) hands
in three DataFrames and a :class:`ReportMeta`; :func:`build_report` returns the four sheets
as DataFrames that :mod:`core.report.excel` writes to a workbook and
:mod:`core.report.raven` to selection tables.

Input frames (one row each)
---------------------------
recordings
    ``recording_id``, ``file_name`` (name or path), ``device_id`` (``AudioMoth 24...``),
    ``recorded_at`` (timezone-aware UTC, may be missing), ``utc_offset_min`` (the recorder's
    offset, minutes), ``temperature_c``, ``duration_s``, ``status`` (of the model's run),
    ``analysed`` (the model scored it) and optionally ``error``. A recording the model did not
    analyse reads "Not analysed", never "Negative".
detections
    one per event: ``detection_id``, ``recording_id``, ``start_s``, ``end_s``, ``label``,
    ``max_score``, ``mean_score`` and the latest review: ``verdict``, ``reviewer``,
    ``reviewed_at`` (UTC), ``note``.
window_summary
    one per (recording, label): ``recording_id``, ``label``, ``max_score``,
    ``positive_windows``.

Times: the ``Timestamp`` column is written as the AudioMoth firmware writes its comment,
local time with the offset (``19:00:00 01/12/2022 (UTC-8)``); datetime columns are naive
datetimes whose header names the zone (``Recorded (UTC)``, ``Recorded (Local)``), because
spreadsheets have no time zones. A night runs from local noon to local noon and is labelled
by the evening's date (see :mod:`core.report.nights`).

Formula injection: text cells are guarded by :func:`core.report.cells.guard_formula` when written
(a leading apostrophe), not here, so the frames keep the true values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from core.report.cells import (
    file_stem,
    format_recorder_timestamp,
    format_temperature,
    format_times_heard,
    guard_formula,
    guard_frame,
)
from core.report.nights import build_nights, local_start, night_of

__all__ = [
    "RESULTS_COLUMNS",
    "ReportMeta",
    "ReportTables",
    "build_report",
    "file_stem",
    "format_recorder_timestamp",
    "format_temperature",
    "format_times_heard",
    "guard_formula",
    "guard_frame",
]

logger = logging.getLogger(__name__)

RESULTS_COLUMNS: tuple[str, ...] = (
    "Model Name : Version",
    "File Name",
    "Prediction",
    "Times Heard",
    "Device ID",
    "Timestamp",
    "Temperature",
    "Review Date",
)
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

    @property
    def model_tag(self) -> str:
        """``name:version`` as in the original ``Model Name : Version`` column."""
        return f"{self.model_name}:{self.model_version}"


@dataclass(frozen=True)
class ReportTables:
    """The four sheets of a site report, in sheet order."""

    results: pd.DataFrame
    detections: pd.DataFrame
    nights: pd.DataFrame
    about: pd.DataFrame


def _naive_utc(value: object) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_convert("UTC") if ts.tzinfo else ts
    return ts.tz_localize(None).to_pydatetime()


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks columns {missing}; it has {list(frame.columns)}")


# --------------------------------------------------------------------------- sheets


def _prepare(
    recordings: pd.DataFrame, detections: pd.DataFrame, window_summary: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    _require(recordings, RECORDING_COLUMNS, "recordings")
    _require(detections, DETECTION_COLUMNS, "detections")
    _require(window_summary, WINDOW_SUMMARY_COLUMNS, "window_summary")
    recs = recordings.copy()
    recs["recorded_at"] = pd.to_datetime(recs["recorded_at"], utc=True)
    recs["utc_offset_min"] = recs["utc_offset_min"].fillna(0).astype(int)
    recs["local_start"] = [
        local_start(t, m) for t, m in zip(recs["recorded_at"], recs["utc_offset_min"], strict=True)
    ]
    recs["night"] = recs["local_start"].map(night_of)
    recs["analysed"] = recs["analysed"].fillna(False).astype(bool)
    recs = recs.sort_values(["recorded_at", "file_name"], kind="stable").reset_index(drop=True)
    return recs, detections.copy(), window_summary.copy()


def _filter_range(recs: pd.DataFrame, meta: ReportMeta) -> pd.DataFrame:
    """Keep the recordings whose night is in the range; with a range, a recording of
    unknown time cannot be placed in it and is left out."""
    if meta.date_from is None and meta.date_to is None:
        return recs
    first, last = meta.date_from or date.min, meta.date_to or date.max
    keep = recs["night"].map(lambda n: n is not None and not pd.isna(n) and first <= n <= last)
    return recs[keep.astype(bool)].reset_index(drop=True)


def _labels(window_summary: pd.DataFrame, detections: pd.DataFrame, meta: ReportMeta) -> list[str]:
    """Score columns: target labels first, in the model's order, then any other seen."""
    seen = [*meta.target_labels, *meta.thresholds]
    seen += sorted(set(window_summary["label"]).union(detections["label"]) - set(seen))
    return list(dict.fromkeys(seen))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def build_results(
    recs: pd.DataFrame, dets: pd.DataFrame, windows: pd.DataFrame, meta: ReportMeta
) -> pd.DataFrame:
    """The Results sheet: the original eight columns, then scores, events, review, times."""
    targets = set(meta.target_labels) or set(dets["label"])
    calls = dets[dets["label"].isin(targets)]
    spans = {
        rid: list(zip(g["start_s"], g["end_s"], strict=True))
        for rid, g in calls.groupby("recording_id")
    }
    last_review = dets.dropna(subset=["reviewed_at"]).groupby("recording_id")["reviewed_at"].max()
    rows = []
    for rec in recs.itertuples(index=False):
        heard = spans.get(rec.recording_id, [])
        prediction = (POSITIVE if heard else NEGATIVE) if rec.analysed else NOT_ANALYSED
        reviewed = _naive_utc(last_review.get(rec.recording_id))
        rows.append(
            {
                "Model Name : Version": meta.model_tag,
                "File Name": file_stem(str(rec.file_name)),
                "Prediction": prediction,
                "Times Heard": format_times_heard(heard),
                "Device ID": _text(rec.device_id),
                "Timestamp": format_recorder_timestamp(rec.recorded_at, rec.utc_offset_min),
                "Temperature": format_temperature(rec.temperature_c),
                "Review Date": reviewed.date() if reviewed else None,
            }
        )
    results = pd.DataFrame(rows, columns=list(RESULTS_COLUMNS))
    ids = recs["recording_id"]
    for label in _labels(windows, dets, meta):
        per = windows[windows["label"] == label].set_index("recording_id")
        results[f"Max Score ({label})"] = ids.map(per["max_score"]).astype(float).to_numpy()
        positives = ids.map(per["positive_windows"]).astype("Int64")
        results[f"Positive Windows ({label})"] = positives.to_numpy()
    labels = sorted(set(calls["label"]), key=_labels(windows, dets, meta).index)
    if len(labels) > 1:  # several species: when each was heard, as the later RibbitRadar did
        for label in labels:
            per_label = calls[calls["label"] == label]
            heard = {
                rid: list(zip(g["start_s"], g["end_s"], strict=True))
                for rid, g in per_label.groupby("recording_id")
            }
            results[f"Times Heard ({label})"] = ids.map(
                lambda rid, heard=heard: format_times_heard(heard.get(rid, []))
            ).to_numpy()
    results["Events"] = ids.map(calls.groupby("recording_id").size()).fillna(0).astype(int)
    results["Review Result"] = ids.map(_review_result(calls)).map(_text).to_numpy()
    results["Duration (s)"] = recs["duration_s"].astype(float).to_numpy()
    results["Temperature (C)"] = recs["temperature_c"].astype(float).to_numpy()
    results["Recorded (UTC)"] = recs["recorded_at"].map(_naive_utc).to_numpy()
    results["Recorded (Local)"] = recs["local_start"].to_numpy()
    results["Night"] = recs["night"].to_numpy()
    results["Status"] = recs["status"].map(_text).to_numpy()
    results["Error"] = recs["error"].map(_text).to_numpy() if "error" in recs else ""
    return results


def _review_result(calls: pd.DataFrame) -> pd.Series:
    """Per recording: ``confirmed`` if any call is, else ``rejected`` if all are, else what's
    left (``unsure``, ``partly reviewed``, ``not reviewed``)."""

    def summarise(verdicts: pd.Series) -> str:
        given = {str(v).lower() for v in verdicts.dropna()}
        if "confirmed" in given:
            return "confirmed"
        if given == {"rejected"} and verdicts.notna().all():
            return "rejected"
        if "unsure" in given:
            return "unsure"
        return "partly reviewed" if given else "not reviewed"

    if calls.empty:
        return pd.Series(dtype=object)
    return calls.groupby("recording_id")["verdict"].agg(summarise)


def build_detections(recs: pd.DataFrame, dets: pd.DataFrame) -> pd.DataFrame:
    """The Detections sheet: one row per event, with its latest review."""
    columns = [
        "File Name",
        "Device ID",
        "Start (s)",
        "End (s)",
        "Call Time (Local)",
        "Label",
        "Max Score",
        "Mean Score",
        "Verdict",
        "Reviewer",
        "Reviewed (UTC)",
        "Note",
    ]
    by_id = recs.set_index("recording_id")
    dets = dets[dets["recording_id"].isin(by_id.index)]
    rows = []
    for det in dets.itertuples(index=False):
        rec = by_id.loc[det.recording_id]
        start = rec["local_start"]
        rows.append(
            {
                "File Name": file_stem(str(rec["file_name"])),
                "Device ID": _text(rec["device_id"]),
                "Start (s)": float(det.start_s),
                "End (s)": float(det.end_s),
                "Call Time (Local)": None
                if start is None or pd.isna(start)
                else start + timedelta(seconds=float(det.start_s)),
                "Label": _text(det.label),
                "Max Score": float(det.max_score),
                "Mean Score": float(det.mean_score),
                "Verdict": _text(det.verdict),
                "Reviewer": _text(det.reviewer),
                "Reviewed (UTC)": _naive_utc(det.reviewed_at),
                "Note": _text(det.note),
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    frame["Call Time (Local)"] = pd.to_datetime(frame["Call Time (Local)"])
    frame["Reviewed (UTC)"] = pd.to_datetime(frame["Reviewed (UTC)"])
    order = ["Call Time (Local)", "File Name", "Start (s)", "Label"]
    return frame.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)


def _range_text(meta: ReportMeta) -> str:
    if meta.date_from is None and meta.date_to is None:
        return "all nights with recordings"
    first = meta.date_from.isoformat() if meta.date_from else "first recording"
    last = meta.date_to.isoformat() if meta.date_to else "last recording"
    return f"nights of {first} to {last}"


def build_about(meta: ReportMeta, recs: pd.DataFrame, nights: pd.DataFrame) -> pd.DataFrame:
    """The About sheet: two columns, ``Field`` and ``Value``."""
    first = nights["Night"].min() if not nights.empty else None
    last = nights["Night"].max() if not nights.empty else None
    thresholds = ", ".join(f"{k} >= {v:g}" for k, v in meta.thresholds.items())
    generated = _naive_utc((meta.generated_at or datetime.now(UTC)).replace(microsecond=0))
    rows: list[tuple[str, object]] = [
        ("Site", meta.site_name),
        ("Latitude", meta.latitude),
        ("Longitude", meta.longitude),
        ("Devices", ", ".join(meta.devices) or ", ".join(sorted(set(recs["device_id"].dropna())))),
        ("Date Range", _range_text(meta)),
        ("First Night", first),
        ("Last Night", last),
        ("Nights", len(nights)),
        ("Recordings", len(recs)),
        ("Model Name : Version", meta.model_tag),
        ("Checkpoint SHA-256", meta.checkpoint_sha256 or "unknown"),
        ("Thresholds", thresholds or "none (see Decision Rule)"),
        ("Decision Rule", meta.decision_rule),
        ("Night Definition", "local noon to noon, labelled by the evening's date"),
        ("Times", "Timestamp as the recorder wrote it; (UTC) and (Local) columns as named"),
        ("Text Cells", "text starting with = + - @ is prefixed with ' so it never runs"),
        ("Generated (UTC)", generated),
        ("RanaWatch Version", meta.ranawatch_version),
    ]
    return pd.DataFrame(rows, columns=["Field", "Value"])


def build_report(
    recordings: pd.DataFrame,
    detections: pd.DataFrame,
    window_summary: pd.DataFrame,
    meta: ReportMeta,
) -> ReportTables:
    """Build the four report sheets for one site.

    Parameters
    ----------
    recordings, detections, window_summary
        The input frames described in the module docstring (times in UTC).
    meta
        Site, model and range; only recordings whose night falls in
        ``meta.date_from``..``meta.date_to`` are kept.

    Returns
    -------
    ReportTables
        Results, Detections, Nights and About as DataFrames (unguarded text).

    Raises
    ------
    ValueError
        When an input frame lacks a column of the contract.
    """
    recs, dets, windows = _prepare(recordings, detections, window_summary)
    recs = _filter_range(recs, meta)
    dets = dets[dets["recording_id"].isin(recs["recording_id"])]
    targets = set(meta.target_labels) or set(dets["label"])
    nights = build_nights(
        recs,
        dets[dets["label"].isin(targets)],
        set(recs.loc[recs["analysed"], "recording_id"]),
        date_from=meta.date_from,
        date_to=meta.date_to,
    )
    logger.debug("report for %s: %d recordings, %d events", meta.site_name, len(recs), len(dets))
    return ReportTables(
        results=build_results(recs, dets, windows, meta),
        detections=build_detections(recs, dets),
        nights=nights,
        about=build_about(meta, recs, nights),
    )
