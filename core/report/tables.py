"""Build the per-site report tables (Results, Detections, Nights, Survey, About) from frames.

Pure: no database, no files. The caller (``db.reports`` + ``flows.report`` or the CLI) hands
in three DataFrames (the contracts are in :mod:`core.report.meta`) and a :class:`ReportMeta`;
:func:`build_report` returns the sheets as DataFrames that :mod:`core.report.excel` writes to
a workbook and :mod:`core.report.raven` to selection tables. A night runs from local noon to
local noon and is labelled by the evening's date (see :mod:`core.report.nights`).

Formula injection: text cells are guarded by :func:`core.report.cells.guard_formula` when written
(a leading apostrophe), not here, so the frames keep the true values.
"""

from __future__ import annotations

import logging

import pandas as pd

from core.report.cells import (
    file_stem,
    format_recorder_timestamp,
    format_temperature,
    format_times_heard,
    guard_formula,
    guard_frame,
)
from core.report.columns import RESULTS_COLUMNS
from core.report.meta import (
    DETECTION_COLUMNS,
    NEGATIVE,
    NOT_ANALYSED,
    POSITIVE,
    RECORDING_COLUMNS,
    WINDOW_SUMMARY_COLUMNS,
    ReportMeta,
    ReportTables,
    filter_range,
    prepare_recordings,
    require_columns,
    target_calls,
)
from core.report.nights import build_nights
from core.report.sheets import build_about, build_detections, build_results, build_survey_sheet

__all__ = [
    "DETECTION_COLUMNS",
    "NEGATIVE",
    "NOT_ANALYSED",
    "POSITIVE",
    "RECORDING_COLUMNS",
    "RESULTS_COLUMNS",
    "WINDOW_SUMMARY_COLUMNS",
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


def build_report(
    recordings: pd.DataFrame,
    detections: pd.DataFrame,
    window_summary: pd.DataFrame,
    meta: ReportMeta,
) -> ReportTables:
    """Build the report sheets for one site.

    Parameters
    ----------
    recordings, detections, window_summary
        The input frames described in :mod:`core.report.meta` (times in UTC).
    meta
        Site, model and range; only recordings whose night falls in
        ``meta.date_from``..``meta.date_to`` are kept; ``meta.nights`` says whether the
        Nights sheet lists every night of the range or recorded nights only.

    Returns
    -------
    ReportTables
        Results, Detections, Nights and About as DataFrames (unguarded text).

    Raises
    ------
    ValueError
        When an input frame lacks a column of the contract.
    """
    require_columns(detections, DETECTION_COLUMNS, "detections")
    require_columns(window_summary, WINDOW_SUMMARY_COLUMNS, "window_summary")
    recs = filter_range(prepare_recordings(recordings), meta.date_from, meta.date_to)
    dets = detections[detections["recording_id"].isin(recs["recording_id"])].copy()
    nights = build_nights(
        recs,
        target_calls(dets, meta),
        set(recs.loc[recs["analysed"], "recording_id"]),
        date_from=meta.date_from,
        date_to=meta.date_to,
        mode=meta.nights,
    )
    logger.debug("report for %s: %d recordings, %d events", meta.site_name, len(recs), len(dets))
    return ReportTables(
        results=build_results(recs, dets, window_summary, meta),
        detections=build_detections(recs, dets),
        nights=nights,
        about=build_about(meta, recs, nights),
        survey=build_survey_sheet(recordings, detections, window_summary, meta),
    )
