"""Survey outputs for occupancy models: detection histories, effort and covariates.

Pure: frames in, frames out (:mod:`core.report.survey_files` writes them). Per target label
and detection rule, a **detection history** has one row per site (or device) and one column
per occasion (:mod:`core.report.occasions`); a cell is

- ``1``: detected in the occasion,
- ``0``: usable audio in the occasion (minutes the model analysed), nothing detected,
- ``NA``: no usable audio in the occasion: not surveyed, never "absent".

Rules: ``model`` counts any event of the label (consecutive windows at or above the model's
decision); ``confirmed`` counts only events whose latest review is ``confirmed`` (an event not
yet reviewed then counts as not detected). **Effort** (minutes of usable audio) and the
observation covariates (mean temperature of the analysed recordings; hour of first call) share
the detection history's shape; hours of first call run from 00:00 of the evening date, so a
call at 02:10 the next morning is 26.17 (one continuous night), ``NA`` where nothing was heard.
The **long table** has one row per site, device, night with recordings and label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from core.report.meta import filter_range, prepare_recordings
from core.report.nights import call_minutes
from core.report.occasions import Occasions, build_occasions
from core.report.ranges import MAX_SPAN_NIGHTS, NightsMode

Rule = Literal["model", "confirmed"]
RULES: tuple[Rule, ...] = ("model", "confirmed")
Unit = Literal["site", "device"]
LONG_COLUMNS: tuple[str, ...] = (
    "site", "device", "night", "label", "recordings", "minutes_recorded", "minutes_analysed",
    "minutes_with_calls", "events", "confirmed_events", "max_score", "first_call", "last_call",
    "mean_temperature_c",
)  # fmt: skip
UNKNOWN_DEVICE = "unknown device"


@dataclass(frozen=True)
class SurveySite:
    """One site's inputs: the report's frames (:mod:`core.report.meta`) and its coordinates."""

    name: str
    recordings: pd.DataFrame
    detections: pd.DataFrame
    window_summary: pd.DataFrame
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class SurveySpec:
    """What a survey covers and how it is laid out.

    Parameters
    ----------
    labels
        Target labels, one detection history each.
    by
        Rows: ``site`` or ``device``.
    occasion_nights
        Nights per occasion.
    date_from, date_to, nights
        The range (evening dates, inclusive) and ``range``/``recorded`` mode.
    """

    labels: Sequence[str]
    by: Unit = "site"
    occasion_nights: int = 1
    date_from: date | None = None
    date_to: date | None = None
    nights: NightsMode = "range"
    max_span: int = MAX_SPAN_NIGHTS


@dataclass(frozen=True)
class SurveyTables:
    """A survey's frames. Matrices are indexed by unit, with one column per occasion."""

    spec: SurveySpec
    occasions: Occasions
    long: pd.DataFrame
    site_covs: pd.DataFrame
    effort: pd.DataFrame
    temperature: pd.DataFrame
    detected: dict[tuple[str, Rule], pd.DataFrame] = field(default_factory=dict)
    first_call_hour: dict[tuple[str, Rule], pd.DataFrame] = field(default_factory=dict)
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    operation: pd.DataFrame | None = None

    @property
    def notes(self) -> list[str]:
        """What the reader should know about the layout (e.g. a range too long)."""
        return list(self.occasions.notes)


def _placed(site: SurveySite, spec: SurveySpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The site's recordings placed in nights of the range, and its target events."""
    recs = filter_range(prepare_recordings(site.recordings), spec.date_from, spec.date_to)
    recs = recs[recs["night"].notna()].copy()
    device = recs["device_id"].fillna("").astype(str)
    recs["site"], recs["device"] = site.name, device.where(device != "", UNKNOWN_DEVICE)
    recs["minutes"] = recs["duration_s"].astype(float).fillna(0.0) / 60.0
    dets = site.detections
    dets = dets[dets["label"].isin(spec.labels) & dets["recording_id"].isin(recs["recording_id"])]
    by_rec = recs.set_index("recording_id")
    events = dets.assign(
        site=site.name,
        device=dets["recording_id"].map(by_rec["device"]),
        night=dets["recording_id"].map(by_rec["night"]),
        start=[by_rec.at[r, "local_start"] + timedelta(seconds=float(s))
               for r, s in zip(dets["recording_id"], dets["start_s"], strict=True)],
        end=[by_rec.at[r, "local_start"] + timedelta(seconds=float(e))
             for r, e in zip(dets["recording_id"], dets["end_s"], strict=True)],
        confirmed=dets["verdict"].astype("string").str.lower().eq("confirmed").fillna(False),
    )  # fmt: skip
    scores = site.window_summary[site.window_summary["label"].isin(spec.labels)]
    for label in spec.labels:
        best = scores[scores["label"] == label].groupby("recording_id")["max_score"].max()
        recs[_score_column(label)] = recs["recording_id"].map(best).astype(float)
    return recs, events


def _score_column(label: str) -> str:
    return f"max_score[{label}]"


def _units(frame: pd.DataFrame, by: Unit, shared: set[str]) -> pd.Series:
    """The row a recording or event belongs to: its site, or its device (``site / device``
    for a device that recorded at several sites)."""
    if by == "site":
        return frame["site"]
    return pd.Series(
        [
            f"{s} / {d}" if d in shared else d
            for s, d in zip(frame["site"], frame["device"], strict=True)
        ],
        index=frame.index,
        dtype=object,
    )


def _hour_of(when: datetime, night: date) -> float:
    return round((when - datetime.combine(night, datetime.min.time())).total_seconds() / 3600, 2)


def build_long(recs: pd.DataFrame, events: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """The long table: one row per site, device, night with recordings, and label."""
    rows = []
    ev_groups = dict(iter(events.groupby(["site", "device", "night", "label"])))
    for (site, device, night), g in recs.groupby(["site", "device", "night"], sort=True):
        analysed = g[g["analysed"]]
        for label in labels:
            ev = ev_groups.get((site, device, night, label), events.iloc[0:0])
            score = g[_score_column(label)].max()
            rows.append(
                {
                    "site": site, "device": device, "night": night, "label": label,
                    "recordings": len(g),
                    "minutes_recorded": round(float(g["minutes"].sum()), 2),
                    "minutes_analysed": round(float(analysed["minutes"].sum()), 2),
                    "minutes_with_calls": call_minutes(ev["start"], ev["end"]),
                    "events": len(ev), "confirmed_events": int(ev["confirmed"].sum()),
                    "max_score": None if pd.isna(score) else round(float(score), 4),
                    "first_call": ev["start"].min() if len(ev) else None,
                    "last_call": ev["start"].max() if len(ev) else None,
                    "mean_temperature_c": _mean(g["temperature_c"]),
                }
            )  # fmt: skip
    return pd.DataFrame(rows, columns=list(LONG_COLUMNS))


def _mean(values: pd.Series) -> float | None:
    mean = values.astype(float).mean()
    return None if pd.isna(mean) else round(float(mean), 1)


def build_survey(sites: Sequence[SurveySite], spec: SurveySpec) -> SurveyTables:
    """Detection histories, effort, covariates and the long table for ``sites``.

    Every site given gets a row (a site without usable audio reads ``NA`` throughout).

    Raises
    ------
    ValueError
        A frame lacks a column of its contract, or ``spec.occasion_nights`` is below 1.
    """
    placed = [_placed(site, spec) for site in sites]
    recs = pd.concat([r for r, _ in placed], ignore_index=True) if placed else pd.DataFrame()
    events = pd.concat([e for _, e in placed], ignore_index=True) if placed else pd.DataFrame()
    if recs.empty:
        recs = pd.DataFrame(columns=["site", "device", "night", "minutes", "analysed",
                                     "temperature_c", "recording_id",
                                     *map(_score_column, spec.labels)])  # fmt: skip
    if events.empty:
        events = pd.DataFrame(columns=["site", "device", "night", "label", "start", "end",
                                       "confirmed", "recording_id"])  # fmt: skip
    occasions = build_occasions(
        recs["night"], date_from=spec.date_from, date_to=spec.date_to,
        occasion_nights=spec.occasion_nights, mode=spec.nights, max_span=spec.max_span,
    )  # fmt: skip
    per_device = recs.groupby("device")["site"].nunique()
    shared = set(per_device[per_device > 1].index)
    recs = recs.assign(unit=_units(recs, spec.by, shared))
    events = events.assign(unit=_units(events, spec.by, shared))
    site_covs = _site_covs(sites, recs, spec.by)
    units, names = list(site_covs.index), occasions.names
    where = occasions.index_of()
    recs = recs.assign(occasion=recs["night"].map(where))
    recs = recs[recs["occasion"].notna()]
    events = events.assign(occasion=events["night"].map(where))
    events = events[events["occasion"].notna()]
    analysed = recs[recs["analysed"].astype(bool)]

    def matrix(series: pd.Series, fill: float = np.nan) -> pd.DataFrame:
        grid = pd.DataFrame(fill, index=pd.Index(units, name=spec.by), columns=names)
        for (unit, k), value in series.items():
            if unit in grid.index:
                grid.iat[grid.index.get_loc(unit), int(k)] = value
        return grid

    effort = matrix(analysed.groupby(["unit", "occasion"])["minutes"].sum().round(2), 0.0)
    temperature = matrix(analysed.groupby(["unit", "occasion"])["temperature_c"].mean().round(1))
    surveyed = effort > 0
    detected, first_hour = {}, {}
    for label in spec.labels:
        ev_label = events[events["label"] == label]
        for rule in RULES:
            ev = ev_label[ev_label["confirmed"].astype(bool)] if rule == "confirmed" else ev_label
            hits = matrix(ev.groupby(["unit", "occasion"]).size().astype(float), 0.0) > 0
            y = pd.DataFrame(np.where(surveyed, hits.astype(float), np.nan),
                             index=effort.index, columns=names)  # fmt: skip
            detected[(label, rule)] = y.astype("Int64")
            hours = ev.assign(
                hour=[_hour_of(s, n) for s, n in zip(ev["start"], ev["night"], strict=True)]
            )
            first_hour[(label, rule)] = matrix(hours.groupby(["unit", "occasion"])["hour"].min())
    return SurveyTables(
        spec=spec, occasions=occasions, long=build_long(recs, events, spec.labels),
        site_covs=site_covs, effort=effort, temperature=temperature,
        detected=detected, first_call_hour=first_hour, events=events,
        operation=_operation(analysed, units, occasions),
    )  # fmt: skip


def _operation(
    analysed: pd.DataFrame, units: list[str], occasions: Occasions
) -> pd.DataFrame | None:
    """Unit x night: 1 where the night has usable audio, else 0 (camtrapR's camera operation);
    ``None`` when the occasions skip nights."""
    if occasions.mode != "range":
        return None
    nights = [n for group in occasions.nights for n in group]
    usable = set(zip(analysed["unit"], analysed["night"], strict=True))
    rows = [[int((u, n) in usable) for n in nights] for u in units]
    frame = pd.DataFrame(rows, index=pd.Index(units, name="Station"),
                         columns=[n.isoformat() for n in nights])  # fmt: skip
    return frame


def _site_covs(sites: Sequence[SurveySite], recs: pd.DataFrame, by: Unit) -> pd.DataFrame:
    """Site covariates, one row per unit in detection-history order."""
    if by == "site":
        rows = []
        for site in sites:
            devices = sorted(set(recs.loc[recs["site"] == site.name, "device"]) - {""})
            rows.append({"site": site.name, "latitude": site.latitude,
                         "longitude": site.longitude, "devices": "; ".join(devices),
                         "n_devices": len(devices)})  # fmt: skip
        return pd.DataFrame(rows, columns=["site", "latitude", "longitude", "devices",
                                           "n_devices"]).set_index("site")  # fmt: skip
    where = {s.name: s for s in sites}
    pairs = sorted(set(zip(recs["unit"], recs["site"], strict=True)))
    rows = [{"device": unit, "site": site, "latitude": where[site].latitude,
             "longitude": where[site].longitude} for unit, site in pairs]  # fmt: skip
    return pd.DataFrame(rows, columns=["device", "site", "latitude", "longitude"]).set_index(
        "device"
    )
