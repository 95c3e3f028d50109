"""The Results, Detections and About sheets of a site report, from prepared frames.

Times: the ``Timestamp`` column is written as the AudioMoth firmware writes its comment,
local time with the offset (``19:00:00 01/12/2022 (UTC-8)``); datetime columns are naive
datetimes whose header names the zone (``Recorded (UTC)``, ``Recorded (Local)``), because
spreadsheets have no time zones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd

from core.report.cells import (
    file_stem,
    format_recorder_timestamp,
    format_temperature,
    format_times_heard,
)
from core.report.columns import (
    DETECTIONS_COLUMNS,
    RESULTS_COLUMNS,
    DetectionsCol,
    ResultsCol,
    SurveyCol,
)
from core.report.meta import (
    NEGATIVE,
    NOT_ANALYSED,
    POSITIVE,
    ReportMeta,
    naive_utc,
    target_calls,
    text,
)
from core.report.survey import RULES, SurveySite, SurveySpec, build_survey

R, D, S = ResultsCol, DetectionsCol, SurveyCol


def score_labels(
    window_summary: pd.DataFrame, detections: pd.DataFrame, meta: ReportMeta
) -> list[str]:
    """Score columns: target labels first, in the model's order, then any other seen."""
    seen = [*meta.target_labels, *meta.thresholds]
    seen += sorted(set(window_summary["label"]).union(detections["label"]) - set(seen))
    return list(dict.fromkeys(seen))


def _spans(calls: pd.DataFrame) -> dict[object, list[tuple[float, float]]]:
    return {
        rid: list(zip(g["start_s"], g["end_s"], strict=True))
        for rid, g in calls.groupby("recording_id")
    }


def build_results(
    recs: pd.DataFrame, dets: pd.DataFrame, windows: pd.DataFrame, meta: ReportMeta
) -> pd.DataFrame:
    """The Results sheet: the original eight columns, then scores, events, review, times."""
    calls = target_calls(dets, meta)
    spans = _spans(calls)
    last_review = dets.dropna(subset=["reviewed_at"]).groupby("recording_id")["reviewed_at"].max()
    rows = []
    for rec in recs.itertuples(index=False):
        heard = spans.get(rec.recording_id, [])
        prediction = (POSITIVE if heard else NEGATIVE) if rec.analysed else NOT_ANALYSED
        reviewed = naive_utc(last_review.get(rec.recording_id))
        rows.append(
            {
                R.MODEL: meta.model_tag,
                R.FILE_NAME: file_stem(str(rec.file_name)),
                R.PREDICTION: prediction,
                R.TIMES_HEARD: format_times_heard(heard),
                R.DEVICE_ID: text(rec.device_id),
                R.TIMESTAMP: format_recorder_timestamp(rec.recorded_at, rec.utc_offset_min),
                R.TEMPERATURE: format_temperature(rec.temperature_c),
                R.REVIEW_DATE: reviewed.date() if reviewed else None,
            }
        )
    results = pd.DataFrame(rows, columns=list(RESULTS_COLUMNS))
    ids = recs["recording_id"]
    labels = score_labels(windows, dets, meta)
    for label in labels:
        per = windows[windows["label"] == label].set_index("recording_id")
        results[R.max_score(label)] = ids.map(per["max_score"]).astype(float).to_numpy()
        positives = ids.map(per["positive_windows"]).astype("Int64")
        results[R.positive_windows(label)] = positives.to_numpy()
    heard_labels = sorted(set(calls["label"]), key=labels.index)
    if len(heard_labels) > 1:  # several species: when each was heard, as the later RibbitRadar did
        for label in heard_labels:
            heard = _spans(calls[calls["label"] == label])
            results[R.times_heard(label)] = ids.map(
                lambda rid, heard=heard: format_times_heard(heard.get(rid, []))
            ).to_numpy()
    results[R.EVENTS] = ids.map(calls.groupby("recording_id").size()).fillna(0).astype(int)
    results[R.REVIEW_RESULT] = ids.map(review_result(calls)).map(text).to_numpy()
    results[R.DURATION_S] = recs["duration_s"].astype(float).to_numpy()
    results[R.TEMPERATURE_C] = recs["temperature_c"].astype(float).to_numpy()
    results[R.RECORDED_UTC] = recs["recorded_at"].map(naive_utc).to_numpy()
    results[R.RECORDED_LOCAL] = recs["local_start"].to_numpy()
    results[R.NIGHT] = recs["night"].to_numpy()
    results[R.STATUS] = recs["status"].map(text).to_numpy()
    results[R.ERROR] = recs["error"].map(text).to_numpy() if "error" in recs else ""
    return results


def review_result(calls: pd.DataFrame) -> pd.Series:
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
    by_id = recs.set_index("recording_id")
    dets = dets[dets["recording_id"].isin(by_id.index)]
    rows = []
    for det in dets.itertuples(index=False):
        rec = by_id.loc[det.recording_id]
        start = rec["local_start"]
        rows.append(
            {
                D.FILE_NAME: file_stem(str(rec["file_name"])),
                D.DEVICE_ID: text(rec["device_id"]),
                D.START_S: float(det.start_s),
                D.END_S: float(det.end_s),
                D.CALL_TIME_LOCAL: None
                if start is None or pd.isna(start)
                else start + timedelta(seconds=float(det.start_s)),
                D.LABEL: text(det.label),
                D.MAX_SCORE: float(det.max_score),
                D.MEAN_SCORE: float(det.mean_score),
                D.VERDICT: text(det.verdict),
                D.REVIEWER: text(det.reviewer),
                D.REVIEWED_UTC: naive_utc(det.reviewed_at),
                D.NOTE: text(det.note),
            }
        )
    frame = pd.DataFrame(rows, columns=list(DETECTIONS_COLUMNS))
    frame[D.CALL_TIME_LOCAL] = pd.to_datetime(frame[D.CALL_TIME_LOCAL])
    frame[D.REVIEWED_UTC] = pd.to_datetime(frame[D.REVIEWED_UTC])
    order = [D.CALL_TIME_LOCAL, D.FILE_NAME, D.START_S, D.LABEL]
    return frame.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)


def range_text(
    date_from: date | None,
    date_to: date | None,
    *,
    nights: str = "range",
    season: str | None = None,
) -> str:
    """The range in words, as the About sheet and the survey README give it."""
    if date_from is None and date_to is None:
        return "all nights with recordings"
    kind = "nights with recordings" if nights == "recorded" else "all nights"
    first = date_from.isoformat() if date_from else "first recording"
    last = date_to.isoformat() if date_to else "last recording"
    named = f"season {season}: " if season else ""
    return f"{named}{kind} of {first} to {last}"


def build_about(meta: ReportMeta, recs: pd.DataFrame, nights: pd.DataFrame) -> pd.DataFrame:
    """The About sheet: two columns, ``Field`` and ``Value``."""
    first = nights["Night"].min() if not nights.empty else None
    ends = [
        t if isinstance(t, date) else n
        for n, t in zip(nights["Night"], nights["Through Night"], strict=True)
    ]
    last = max(ends) if ends else None
    covered = sum((e - n).days + 1 for n, e in zip(nights["Night"], ends, strict=True))
    with_audio = int((nights["Recordings"] > 0).sum()) if not nights.empty else 0
    thresholds = ", ".join(f"{k} >= {v:g}" for k, v in meta.thresholds.items())
    generated = naive_utc((meta.generated_at or datetime.now(UTC)).replace(microsecond=0))
    devices = ", ".join(meta.devices) or ", ".join(sorted(set(recs["device_id"].dropna())))
    rows: list[tuple[str, object]] = [
        ("Site", meta.site_name),
        ("Latitude", meta.latitude),
        ("Longitude", meta.longitude),
        ("Devices", devices),
        (
            "Date Range",
            range_text(meta.date_from, meta.date_to, nights=meta.nights, season=meta.season),
        ),
        ("First Night", first),
        ("Last Night", last),
        ("Nights", covered),
        ("Nights with Audio", with_audio),
        ("Recordings", len(recs)),
        ("Model Name : Version", meta.model_tag),
        ("Checkpoint SHA-256", meta.checkpoint_sha256 or "unknown"),
        ("Thresholds", thresholds or "none (see Decision Rule)"),
        ("Decision Rule", meta.decision_rule),
        ("Night Definition", "local noon to noon, labelled by the evening's date"),
        ("Times", "Timestamp as the recorder wrote it; (UTC) and (Local) columns as named"),
        (
            "Text Cells",
            "text starting with = + - @ (or a space or control character before them) is "
            "prefixed with ' so it never runs; control characters become spaces",
        ),
        ("Generated (UTC)", generated),
        ("RanaWatch Version", meta.ranawatch_version),
    ]
    return pd.DataFrame(rows, columns=["Field", "Value"])


def build_survey_sheet(
    recordings: pd.DataFrame,
    detections: pd.DataFrame,
    window_summary: pd.DataFrame,
    meta: ReportMeta,
) -> pd.DataFrame:
    """The Survey sheet: the site's row of each detection history, one line per occasion.

    The values are those of ``ranawatch survey`` for this site alone (nightly occasions,
    the report's range): ``1``/``0``/``NA`` per label and rule, minutes of usable audio,
    mean temperature and the hour of the first call (model rule).
    """
    site = SurveySite(meta.site_name, recordings, detections, window_summary,
                      meta.latitude, meta.longitude)  # fmt: skip
    labels = list(meta.target_labels) or sorted(set(detections["label"]))
    spec = SurveySpec(labels=labels, date_from=meta.date_from, date_to=meta.date_to,
                      nights=meta.nights)  # fmt: skip
    survey = build_survey([site], spec)
    occasions = survey.occasions.table(spec.occasion_nights)
    frame = pd.DataFrame(
        {
            S.OCCASION: occasions["first_night"].to_numpy(),
            S.LAST_NIGHT: occasions["last_night"].to_numpy(),
            S.EFFORT: survey.effort.iloc[0].to_numpy(dtype=float),
            S.TEMPERATURE: survey.temperature.iloc[0].to_numpy(dtype=float),
        }
    )
    for label in labels:
        for rule in RULES:
            cells = survey.detected[(label, rule)].iloc[0]
            frame[S.detected(label, rule)] = ["NA" if pd.isna(v) else int(v) for v in cells]
        frame[S.first_call_hour(label)] = (
            survey.first_call_hour[(label, "model")].iloc[0].to_numpy(dtype=float)
        )
    return frame
