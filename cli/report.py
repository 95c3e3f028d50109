"""``ranawatch report``: one site's Excel workbook, and optionally its CSV and Raven tables.

Reads the database (never writes it) and writes the files asked for. Exit status: 0 when
written; 1 when the site or model is unknown, the database is not at the current schema,
or a file cannot be written (the message says which and what to do); 2 for bad usage.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import typer

from core.errors import RanaWatchError
from core.report.excel import write_report_workbook, write_results_csv
from core.report.nights import CALLS, NO_AUDIO
from core.report.raven import write_selection_tables
from core.report.tables import NOT_ANALYSED, POSITIVE, ReportTables, build_report
from core.settings import get_settings

logger = logging.getLogger(__name__)


def _xlsx(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"{path} does not end in .xlsx (Excel workbooks do)")
    return path


def report(
    site: str = typer.Option(..., "--site", help="Site name, as stored by ingest."),
    date_from: datetime | None = typer.Option(
        None, "--from", formats=["%Y-%m-%d"], metavar="DATE",
        help="First night (the evening's date, local time), YYYY-MM-DD.",
    ),
    date_to: datetime | None = typer.Option(
        None, "--to", formats=["%Y-%m-%d"], metavar="DATE",
        help="Last night (the evening's date, local time), YYYY-MM-DD.",
    ),
    model: str | None = typer.Option(
        None, "--model", metavar="NAME:VERSION",
        help="Model version, e.g. AST_Rana_Draytonii:1.0 (default: newest with results).",
    ),
    out: Path = typer.Option(
        ..., "--out", callback=_xlsx, metavar="FILE.xlsx", help="Workbook to write."
    ),
    csv_path: Path | None = typer.Option(
        None, "--csv", metavar="FILE", help="Also write the Results rows as CSV."
    ),
    raven_dir: Path | None = typer.Option(
        None, "--raven-dir", metavar="DIR",
        help="Also write one Raven Pro selection table per recording into DIR.",
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", metavar="URL",
        help="Database (default: RANAWATCH_DATABASE_URL, else <data_dir>/ranawatch.db).",
    ),
) -> None:  # fmt: skip
    """Write a site's report: Results, Detections, Nights and About sheets in one workbook."""
    # Imported here so that `ranawatch --help` does not load SQLAlchemy.
    from db.migrate import require_current_schema
    from db.reports import load_site_report
    from db.session import get_engine, session_scope

    url = database_url or get_settings().resolved_database_url
    first = date_from.date() if date_from else None
    last = date_to.date() if date_to else None
    try:
        require_current_schema(url)
        with session_scope(get_engine(url)) as session:
            data = load_site_report(
                session=session, site=site, date_from=first, date_to=last, model=model
            )
        tables = build_report(data.recordings, data.detections, data.window_summary, data.meta)
        written = [write_report_workbook(out, tables)]
        if csv_path is not None:
            written.append(write_results_csv(csv_path, tables.results))
        if raven_dir is not None:
            low, high = data.band_hz
            n = len(write_selection_tables(raven_dir, tables, low_freq_hz=low, high_freq_hz=high))
            written.append(raven_dir)
            logger.debug("%d Raven tables in %s", n, raven_dir)
    except RanaWatchError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except OSError as exc:
        typer.echo(
            f"error: cannot write {exc.filename or out}: {exc.strerror or exc} "
            "(check that the folder exists and is writable, and that the file is not open "
            "in a spreadsheet program)",
            err=True,
        )
        raise typer.Exit(1) from exc
    typer.echo(summary(tables, data.meta.site_name, data.meta.model_tag))
    for path in written:
        typer.echo(f"wrote {path}")


def summary(tables: ReportTables, site: str, model_tag: str) -> str:
    """One line a biologist can read: recordings by outcome and nights by effort."""
    predictions = tables.results["Prediction"]
    efforts = tables.nights["Effort"]
    negative = int((~predictions.isin([POSITIVE, NOT_ANALYSED])).sum())
    return (
        f"{site} ({model_tag}): {len(predictions)} recordings "
        f"({int((predictions == POSITIVE).sum())} positive, {negative} negative, "
        f"{int((predictions == NOT_ANALYSED).sum())} not analysed), "
        f"{len(efforts)} nights ({int((efforts == CALLS).sum())} with calls, "
        f"{int((efforts == NO_AUDIO).sum())} without audio), "
        f"{len(tables.detections)} events"
    )


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to the ``ranawatch`` app."""
    app.command("report")(report)
