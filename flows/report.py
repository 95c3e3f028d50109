"""Flow ``write-site-reports``: one Excel workbook, CSV and Raven tables per site.

For each site: read its recordings, events and reviews for one model version (the newest
with results unless ``model`` names one), build the report tables, and write into
``<reports dir>/<site>/``::

    <site>.xlsx                        Results, Detections, Nights, Survey, About
    <site>.csv                         the Results rows
    raven/<stem>.Table.1.selections.txt   one Raven Pro selection table per recording

and, for all the sites together, the survey CSVs for occupancy models into
``<reports dir>/_survey/`` (:mod:`flows.survey`). Two sites whose names make the same folder
name get distinct folders (:func:`core.report.files.site_folder_names`).

Files are written beside their final name and then renamed over it, so someone opening the
workbook while the nightly run writes it sees the old complete file or the new one, never
half of one. A site that fails (unknown, or its folder not writable) is logged and recorded
in the run log; the other sites are still written, and the run fails at the end.

Run directly: ``python -m flows.report`` (every site, default settings).
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from core.errors import ConfigError, RanaWatchError
from core.report.excel import write_report_workbook, write_results_csv
from core.report.files import replace_file, replace_folder, site_folder_names
from core.report.ranges import NightsMode, resolve_range
from core.report.raven import write_selection_tables
from core.report.tables import ReportTables, build_report
from core.settings import get_settings
from db import reports
from db.session import get_engine, session_scope
from flows.runlog import run_log
from flows.survey import SURVEY_FOLDER, write_survey
from flows.tasks import DB_RETRIES, DB_RETRY_DELAY_S, transient_only

log = logging.getLogger(__name__)

FLOW_NAME = "write-site-reports"


@task(name="list-sites", retries=DB_RETRIES, retry_delay_seconds=DB_RETRY_DELAY_S)
def list_sites(database_url: str) -> list[tuple[int, str]]:
    """Every site in the database, ``(id, name)`` in the order they were registered."""
    with session_scope(get_engine(database_url)) as session:
        return reports.list_sites(session=session)


@task(
    name="read-site",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=transient_only,
    cache_policy=NONE,
)
def read_site(
    database_url: str,
    site: str,
    date_from: date | None,
    date_to: date | None,
    model: str | None,
    nights: NightsMode = "range",
    season: str | None = None,
) -> reports.SiteReportData:
    """The site's recordings, events, reviews and window scores (db.reports)."""
    with session_scope(get_engine(database_url)) as session:
        return reports.load_site_report(
            session=session, site=site, date_from=date_from, date_to=date_to, model=model,
            nights=nights, season=season,
        )  # fmt: skip


@task(name="build-report", cache_policy=NONE)
def build_tables(data: reports.SiteReportData) -> ReportTables:
    """The report sheets (pure: core.report.tables)."""
    return build_report(data.recordings, data.detections, data.window_summary, data.meta)


@task(name="write-workbook", retries=1, retry_delay_seconds=5, cache_policy=NONE)
def write_workbook(tables: ReportTables, path: Path) -> Path:
    """Write the workbook (core.report.excel), replacing the previous one in one step."""
    return replace_file(path, lambda tmp: write_report_workbook(tmp, tables))


@task(name="write-csv", retries=1, retry_delay_seconds=5, cache_policy=NONE)
def write_csv(tables: ReportTables, path: Path) -> Path:
    """Write the Results rows as CSV (core.report.excel), replacing the old file in one step."""
    return replace_file(path, lambda tmp: write_results_csv(tmp, tables.results))


@task(name="write-raven-tables", retries=1, retry_delay_seconds=5, cache_policy=NONE)
def write_raven(tables: ReportTables, folder: Path, band: tuple[float, float]) -> int:
    """Write the Raven tables (core.report.raven) into a fresh folder that replaces the old one,
    so tables of recordings no longer in the report do not linger."""
    written: list[Path] = []

    def fill(fresh: Path) -> None:
        low, high = band
        written.extend(write_selection_tables(fresh, tables, low_freq_hz=low, high_freq_hz=high))

    replace_folder(folder, fill)
    return len(written)


@flow(name=FLOW_NAME, log_prints=False)
def write_site_reports(
    sites: list[str] | None = None,
    out_dir: str | None = None,
    model: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    raven: bool = True,
    database_url: str | None = None,
    season: str | None = None,
    nights: NightsMode = "range",
    survey: bool = True,
    occasion_nights: int = 1,
) -> dict[str, str]:
    """Write the report of each site (workbook, CSV, Raven tables) into the reports folder.

    Parameters
    ----------
    sites
        Site names; ``None``: every site in the database.
    out_dir
        Reports folder; default ``RANAWATCH_REPORTS_DIR`` (``<data_dir>/reports``).
    model
        ``NAME:VERSION``; default: per site, the newest model version with results.
    date_from, date_to
        First and last night (evening dates, inclusive); default: every night with audio.
    raven
        Also write one Raven Pro selection table per recording.
    database_url
        Default: the configured database.
    season
        A season instead of ``date_from``/``date_to`` (``2023-24``: 1 Nov to 30 Apr).
    nights
        ``range``: every night of the range; ``recorded``: nights with recordings only.
    survey, occasion_nights
        Also write the survey CSVs of all the sites, with occasions of that many nights.

    Returns
    -------
    dict[str, str]
        Per site, the workbook written.

    Raises
    ------
    RanaWatchError
        After every site was tried, when at least one failed (each reason is logged and
        kept in the run log).
    """
    settings = get_settings()
    url = database_url or settings.resolved_database_url
    root = Path(out_dir) if out_dir else settings.resolved_reports_dir
    try:
        date_from, date_to = resolve_range(season=season, date_from=date_from, date_to=date_to)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    written: dict[str, str] = {}
    failures: dict[str, str] = {}
    with run_log(url, FLOW_NAME) as run:
        counts = run.counts
        counts.update(sites=0, written=0, failed=0, recordings=0, raven_tables=0)
        known = list_sites(url)
        by_id = site_folder_names(known)
        folders = {name: by_id[sid] for sid, name in known}
        names = sites if sites is not None else [name for _, name in known]
        counts["sites"] = len(names)
        for name in names:
            try:
                data = read_site(url, name, date_from, date_to, model, nights, season)
                tables = build_tables(data)
                slug = folders[data.meta.site_name]
                book = write_workbook(tables, root / slug / f"{slug}.xlsx")
                write_csv(tables, root / slug / f"{slug}.csv")
                if raven:
                    raven_dir = root / slug / "raven"
                    counts["raven_tables"] += write_raven(tables, raven_dir, data.band_hz)
            except (RanaWatchError, OSError) as exc:
                log.error("report for site %r failed: %s", name, exc)
                failures[name] = str(exc)
                continue
            written[name] = str(book)
            counts["recordings"] += len(tables.results)
            log.info("site %s: %d recordings -> %s", name, len(tables.results), book)
        if survey and written:
            try:
                counts["survey_files"] = write_survey(
                    url, root / SURVEY_FOLDER, list(written), date_from, date_to, model,
                    nights, season, occasion_nights,
                )  # fmt: skip
            except (RanaWatchError, OSError) as exc:
                log.error("survey failed: %s", exc)
                failures["survey"] = str(exc)
        counts["written"], counts["failed"] = len(written), len(failures)
        problem = "; ".join(f"{site}: {reason}" for site, reason in failures.items()) or None
        run.error = problem
    if failures:
        raise RanaWatchError(f"{len(failures)} of {counts['sites']} site reports failed: {problem}")
    return written


if __name__ == "__main__":
    logging.basicConfig(level=get_settings().log_level)
    write_site_reports()
