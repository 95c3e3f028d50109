"""``ranawatch report``: one site's Excel workbook, and optionally its CSV and Raven tables.

Reads the database (never writes it) and writes the files asked for, each replaced in one
step (:mod:`core.report.files`). Exit status: 0 when written; 1 when the site or model is
unknown, the database is not at the current schema, or a file cannot be written (the message
says which and what to do); 2 for bad usage.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import typer

from cli import common
from core.report.excel import write_report_workbook, write_results_csv
from core.report.files import replace_file
from core.report.nights import CALLS, NO_AUDIO
from core.report.ranges import NIGHTS_MODES, parse_month_day, resolve_range
from core.report.raven import write_selection_tables
from core.report.tables import NOT_ANALYSED, POSITIVE, ReportTables, build_report

logger = logging.getLogger(__name__)


def _xlsx(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"{path} does not end in .xlsx (Excel workbooks do)")
    return path


def _nights_mode(value: str) -> str:
    if value not in NIGHTS_MODES:
        raise typer.BadParameter(f"{value!r}: use one of {', '.join(NIGHTS_MODES)}")
    return value


def _month_day(value: str) -> str:
    try:
        parse_month_day(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return value


# Range options shared by `report` and `survey`.
FROM_OPTION = typer.Option(
    None, "--from", formats=["%Y-%m-%d"], metavar="DATE",
    help="First night (the evening's date, local time), YYYY-MM-DD.",
)  # fmt: skip
TO_OPTION = typer.Option(
    None, "--to", formats=["%Y-%m-%d"], metavar="DATE",
    help="Last night (the evening's date, local time), YYYY-MM-DD.",
)  # fmt: skip
SEASON_OPTION = typer.Option(
    None, "--season", metavar="YYYY-YY",
    help="A season instead of --from/--to: 2023-24 is 1 Nov 2023 to 30 Apr 2024 by default.",
)  # fmt: skip
SEASON_START_OPTION = typer.Option(
    "11-01", "--season-start", metavar="MM-DD", callback=_month_day,
    help="First night of a season.",
)  # fmt: skip
SEASON_END_OPTION = typer.Option(
    "04-30", "--season-end", metavar="MM-DD", callback=_month_day,
    help="Last night of a season.",
)  # fmt: skip
NIGHTS_OPTION = typer.Option(
    "range", "--nights", metavar="range|recorded", callback=_nights_mode,
    help="range: every night of the range (long runs without audio as one row); "
    "recorded: nights with recordings only.",
)  # fmt: skip
MODEL_OPTION = typer.Option(
    None, "--model", metavar="NAME:VERSION",
    help="Model version, e.g. AST_Rana_Draytonii:1.0 (default: newest with results).",
)  # fmt: skip
DATABASE_OPTION = typer.Option(
    None, "--database-url", metavar="URL",
    help="Database (default: RANAWATCH_DATABASE_URL, else <data_dir>/ranawatch.db).",
)  # fmt: skip


def night_range(
    season: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
    season_start: str,
    season_end: str,
) -> tuple[date | None, date | None]:
    """The nights asked for on the command line (exit 2 on a contradiction)."""
    try:
        return resolve_range(
            season=season,
            date_from=date_from.date() if date_from else None,
            date_to=date_to.date() if date_to else None,
            season_start=parse_month_day(season_start),
            season_end=parse_month_day(season_end),
        )
    except ValueError as exc:
        if "swap" in str(exc):  # a reversed range reads as a user error (exit 1), as before
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        raise typer.BadParameter(str(exc)) from exc


def write_error(exc: OSError, default: Path) -> typer.Exit:
    """Say which file could not be written and what to do; the exit to raise."""
    typer.echo(
        f"error: cannot write {exc.filename or default}: {exc.strerror or exc} "
        "(check that the folder exists and is writable, and that the file is not open "
        "in a spreadsheet program)",
        err=True,
    )
    return typer.Exit(1)


def report(
    site: str = typer.Option(..., "--site", help="Site name, as stored by ingest."),
    date_from: datetime | None = FROM_OPTION,
    date_to: datetime | None = TO_OPTION,
    season: str | None = SEASON_OPTION,
    season_start: str = SEASON_START_OPTION,
    season_end: str = SEASON_END_OPTION,
    nights: str = NIGHTS_OPTION,
    model: str | None = MODEL_OPTION,
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
    database_url: str | None = DATABASE_OPTION,
) -> None:  # fmt: skip
    """Write a site's report: Results, Detections, Nights, Survey and About sheets."""
    # Imported here so that `ranawatch --help` does not load SQLAlchemy.
    from db.reports import load_site_report
    from db.session import get_engine, session_scope

    first, last = night_range(season, date_from, date_to, season_start, season_end)
    url = common.database_url(database_url)
    try:
        with common.user_errors():
            with session_scope(get_engine(url)) as session:
                data = load_site_report(
                    session=session, site=site, date_from=first, date_to=last, model=model,
                    nights=nights, season=season,  # type: ignore[arg-type]
                )  # fmt: skip
            tables = build_report(data.recordings, data.detections, data.window_summary, data.meta)
            written = [replace_file(out, lambda tmp: write_report_workbook(tmp, tables))]
            if csv_path is not None:
                written.append(
                    replace_file(csv_path, lambda tmp: write_results_csv(tmp, tables.results))
                )
            if raven_dir is not None:
                low, high = data.band_hz
                n = len(
                    write_selection_tables(raven_dir, tables, low_freq_hz=low, high_freq_hz=high)
                )
                written.append(raven_dir)
                logger.debug("%d Raven tables in %s", n, raven_dir)
    except OSError as exc:
        raise write_error(exc, out) from exc
    typer.echo(summary(tables, data.meta.site_name, data.meta.model_tag))
    for path in written:
        typer.echo(f"wrote {path}")


def summary(tables: ReportTables, site: str, model_tag: str) -> str:
    """One line a biologist can read: recordings by outcome and nights by effort."""
    predictions = tables.results["Prediction"]
    nights = tables.nights
    ends = [
        t if isinstance(t, date) else n
        for n, t in zip(nights["Night"], nights["Through Night"], strict=True)
    ]
    covered = sum((e - n).days + 1 for n, e in zip(nights["Night"], ends, strict=True))
    no_audio = sum(
        (e - n).days + 1
        for n, e, effort in zip(nights["Night"], ends, nights["Effort"], strict=True)
        if effort == NO_AUDIO
    )
    negative = int((~predictions.isin([POSITIVE, NOT_ANALYSED])).sum())
    return (
        f"{site} ({model_tag}): {len(predictions)} recordings "
        f"({int((predictions == POSITIVE).sum())} positive, {negative} negative, "
        f"{int((predictions == NOT_ANALYSED).sum())} not analysed), "
        f"{covered} nights ({int((nights['Effort'] == CALLS).sum())} with calls, "
        f"{no_audio} without audio), "
        f"{len(tables.detections)} events"
    )


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to the ``ranawatch`` app."""
    app.command("report")(report)
