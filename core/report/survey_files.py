"""Write a survey (:mod:`core.report.survey`) as CSV files for unmarked and camtrapR, with a README.

Files (UTF-8, comma-separated, ``NA`` for a missing value, text guarded against formulas
like every report cell)::

    README.txt                      what each file is, and how to read it in R
    y_<label>_<rule>.csv            detection history: one row per site, one column per occasion
    effort_minutes.csv              minutes of usable audio, same shape
    obs_temperature_c.csv           mean temperature of the analysed recordings, same shape
    obs_first_call_hour_<label>_<rule>.csv   hour of the first call, same shape
    obs_covs_long.csv               the same covariates, one row per site and occasion
    site_covs.csv                   site covariates (coordinates, devices), same row order
    occasions.csv                   each occasion's first and last night
    nights_long.csv                 one row per site, device, night with recordings and label
    camtrapR_camop.csv              station x night operation matrix (1 usable audio, 0 none)
    camtrapR_records.csv            one row per event: Station, Species, DateTimeOriginal...
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from core.report.cells import guard_frame
from core.report.survey import SurveyTables

_SLUG = re.compile(r"[^A-Za-z0-9]+")
README_HEAD = "RanaWatch survey outputs"  # the README's first line: marks a folder as ours


def label_slug(label: str) -> str:
    """``Rana draytonii`` -> ``rana_draytonii`` (file-name and R-name safe)."""
    return _SLUG.sub("_", label).strip("_").lower() or "label"


def history_name(label: str, rule: str) -> str:
    """File name of a detection history."""
    return f"y_{label_slug(label)}_{rule}.csv"


def _write(frame: pd.DataFrame, path: Path, *, index: bool = True) -> Path:
    guard_frame(frame).to_csv(
        path, index=index, na_rep="NA", encoding="utf-8", date_format="%Y-%m-%d %H:%M:%S",
        lineterminator="\n",
    )  # fmt: skip
    return path


def obs_covs_long(survey: SurveyTables) -> pd.DataFrame:
    """Observation covariates as unmarked's data-frame form: one row per unit and occasion,
    units in detection-history order, occasions in order within each unit."""
    unit = survey.spec.by
    frame = survey.effort.stack(future_stack=True).rename("effort_minutes").to_frame()
    frame["temperature_c"] = survey.temperature.stack(future_stack=True)
    for (label, rule), hours in survey.first_call_hour.items():
        frame[f"first_call_hour_{label_slug(label)}_{rule}"] = hours.stack(future_stack=True)
    frame.index = frame.index.set_names([unit, "occasion"])
    return frame.reset_index()


def camtrap_records(survey: SurveyTables, events: pd.DataFrame) -> pd.DataFrame:
    """camtrapR's record table from the long events: Station, Species, DateTimeOriginal (local),
    Date, Time, Confirmed."""
    rows = [
        {
            "Station": ev["unit"],
            "Species": ev["label"],
            "DateTimeOriginal": f"{ev['start']:%Y-%m-%d %H:%M:%S}",
            "Date": f"{ev['start']:%Y-%m-%d}",
            "Time": f"{ev['start']:%H:%M:%S}",
            "Confirmed": "TRUE" if ev["confirmed"] else "FALSE",
        }
        for ev in events.to_dict("records")
    ]
    return pd.DataFrame(
        rows, columns=["Station", "Species", "DateTimeOriginal", "Date", "Time", "Confirmed"]
    )


def write_survey_files(
    folder: str | Path, survey: SurveyTables, *, about: Sequence[tuple[str, str]] = ()
) -> list[Path]:
    """Write every survey file and the README into ``folder`` (created if needed).

    Parameters
    ----------
    about
        ``(field, value)`` lines for the README's head (model, range, generated...).

    Returns
    -------
    list[pathlib.Path]
        The files written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for (label, rule), y in survey.detected.items():
        written.append(_write(y, out / history_name(label, rule)))
    written.append(_write(survey.effort, out / "effort_minutes.csv"))
    written.append(_write(survey.temperature, out / "obs_temperature_c.csv"))
    for (label, rule), hours in survey.first_call_hour.items():
        written.append(_write(hours, out / f"obs_first_call_hour_{label_slug(label)}_{rule}.csv"))
    written.append(_write(obs_covs_long(survey), out / "obs_covs_long.csv", index=False))
    written.append(_write(survey.site_covs, out / "site_covs.csv"))
    occasions = survey.occasions.table(survey.spec.occasion_nights)
    written.append(_write(occasions, out / "occasions.csv", index=False))
    written.append(_write(survey.long, out / "nights_long.csv", index=False))
    if survey.operation is not None:
        written.append(_write(survey.operation, out / "camtrapR_camop.csv"))
    written.append(_write(camtrap_records(survey, survey.events), out / "camtrapR_records.csv",
                          index=False))  # fmt: skip
    readme = out / "README.txt"
    readme.write_text(survey_readme(survey, about, [p.name for p in written]), encoding="utf-8")
    return [readme, *written]


def survey_readme(
    survey: SurveyTables, about: Sequence[tuple[str, str]], files: Sequence[str]
) -> str:
    """The README beside the files: what each is, the rules, and how R reads them."""
    unit = survey.spec.by
    labels = ", ".join(survey.spec.labels) or "none"
    first = next((f for f in files if f.startswith("y_")), "y_<label>_model.csv")
    lines = [
        README_HEAD,
        "========================",
        "",
        *(f"{k}: {v}" for k, v in about),
        f"Rows: one per {unit} (the same order in every file)",
        f"Occasions: {survey.spec.occasion_nights} night(s) each, "
        + (
            "every night of the range"
            if survey.occasions.mode == "range"
            else "nights with recordings only"
        )
        + "; columns are named by their first night",
        f"Target labels: {labels}",
        *(f"Note: {n}" for n in survey.notes),
        "",
        "A night runs from local noon to noon and is named by the evening's date.",
        "Detection history cells: 1 detected; 0 usable audio, not detected; NA no usable",
        "audio (not surveyed, never 'absent'). Usable audio = minutes the model analysed.",
        "Rules: 'model' = any event of the label (windows at or above the model's decision);",
        "'confirmed' = only events whose latest review is 'confirmed' (unreviewed events",
        "count as not detected: review the season before using it).",
        "",
        "Files",
        "-----",
        "y_<label>_<rule>.csv        detection history (rows x occasions), one per label and rule",
        "effort_minutes.csv          minutes of usable audio, same shape",
        "obs_temperature_c.csv       mean temperature (C) of the analysed recordings, same shape",
        "obs_first_call_hour_*.csv   hour of the first call from 00:00 of the evening date",
        "                            (02:10 next morning = 26.17); NA where nothing was heard",
        "obs_covs_long.csv           the covariates above, one row per row-unit and occasion",
        "site_covs.csv               site covariates: coordinates (WGS84), devices",
        "occasions.csv               each occasion's first and last night",
        "nights_long.csv             one row per site, device, night with recordings, label:",
        "                            minutes recorded and analysed, minutes with calls, events,",
        "                            confirmed events, max score, first/last call, temperature",
        "camtrapR_camop.csv          camtrapR camera-operation matrix (station x night; 1",
        "                            usable audio, 0 none); only when every night is a column",
        "camtrapR_records.csv        camtrapR record table, one row per event (local times)",
        "",
        "In R (not run here: R is not installed where these files were made; the layout was",
        "checked by reading the files back with pandas)",
        "-----",
        "library(unmarked)",
        f'y <- as.matrix(read.csv("{first}", row.names = 1, check.names = FALSE))',
        'effort <- as.matrix(read.csv("effort_minutes.csv", row.names = 1, check.names = FALSE))',
        'temp <- as.matrix(read.csv("obs_temperature_c.csv", row.names = 1, check.names = FALSE))',
        'site_covs <- read.csv("site_covs.csv", row.names = 1)',
        "umf <- unmarkedFrameOccu(y = y, siteCovs = site_covs,",
        "                         obsCovs = list(effort = effort, temp = temp))",
        "fit <- occu(~ effort + temp ~ 1, data = umf)",
        "",
        "library(camtrapR)",
        'camop <- as.matrix(read.csv("camtrapR_camop.csv", row.names = 1, check.names = FALSE))',
        'rec <- read.csv("camtrapR_records.csv")',
        "# rec <- rec[rec$Confirmed, ]   # for the 'confirmed' rule",
        'dh <- detectionHistory(recordTable = rec, camOp = camop, stationCol = "Station",',
        '       speciesCol = "Species", recordDateTimeCol = "DateTimeOriginal",',
        f'       species = "{survey.spec.labels[0] if survey.spec.labels else "..."}", '
        f"occasionLength = {survey.spec.occasion_nights},",
        '       day1 = "survey", occasionStartTime = 12, timeZone = "UTC",',
        "       includeEffort = TRUE, scaleEffort = FALSE, datesAsOccasionNames = FALSE)",
        '(times are local wall-clock times; timeZone = "UTC" keeps R from shifting them)',
        "",
        "Text cells that would start a spreadsheet formula (= + - @) begin with '.",
    ]
    return "\n".join(lines) + "\n"
