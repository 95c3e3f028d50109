"""``ranawatch survey``: detection histories, effort and covariates for occupancy models.

Reads the database (never writes it) and writes one folder of CSV files with a README
(:mod:`core.report.survey_files`), replaced in one step. Exit status: 0 when written; 1 when
a site or model is unknown, the database is not at the current schema, or the folder cannot
be written; 2 for bad usage.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import typer

from cli import common
from cli.report import (
    DATABASE_OPTION,
    FROM_OPTION,
    MODEL_OPTION,
    NIGHTS_OPTION,
    SEASON_END_OPTION,
    SEASON_OPTION,
    SEASON_START_OPTION,
    TO_OPTION,
    night_range,
    write_error,
)
from core.report.files import replace_folder
from core.report.sheets import range_text
from core.report.survey import RULES, SurveySpec, SurveyTables, build_survey
from core.report.survey_files import README_HEAD, write_survey_files


def _by(value: str) -> str:
    if value not in ("site", "device"):
        raise typer.BadParameter(f"{value!r}: use site or device")
    return value


def _ours_or_empty(folder: Path) -> bool:
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    readme = folder / "README.txt"
    if readme.is_file():
        return readme.read_text(encoding="utf-8", errors="replace").startswith(README_HEAD)
    return not any(folder.iterdir())


def strict_json(value: object) -> object:
    """``value`` with every NaN or infinity as ``None``, so ``json.dumps`` never prints them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    return value


def survey_summary(survey: SurveyTables, model_tag: str) -> dict[str, object]:
    """Sites or devices, occasions, and per label and rule the rows with a detection."""
    detected = {
        label: {
            rule: int((survey.detected[(label, rule)].fillna(0) > 0).any(axis=1).sum())
            for rule in RULES
        }
        for label in survey.spec.labels
    }
    surveyed = int((survey.effort > 0).any(axis=1).sum())
    return {
        "model": model_tag,
        "rows": survey.spec.by,
        "units": len(survey.effort.index),
        "surveyed_units": surveyed,
        "occasions": len(survey.occasions.names),
        "occasion_nights": survey.spec.occasion_nights,
        "effort_minutes": float(survey.effort.to_numpy().sum()),
        "detected_units": detected,
        "notes": survey.notes,
    }


def survey(
    out: Path = typer.Option(..., "--out", metavar="DIR", help="Folder for the CSV files."),
    sites: list[str] | None = typer.Option(
        None, "--site", metavar="NAME",
        help="Site to include (repeat for several; default: every site).",
    ),
    by: str = typer.Option("site", "--by", metavar="site|device", callback=_by,
                           help="Rows of the detection history."),
    occasion_nights: int = typer.Option(1, "--occasion-nights", min=1, metavar="N",
                                        help="Nights per survey occasion."),
    date_from: datetime | None = FROM_OPTION,
    date_to: datetime | None = TO_OPTION,
    season: str | None = SEASON_OPTION,
    season_start: str = SEASON_START_OPTION,
    season_end: str = SEASON_END_OPTION,
    nights: str = NIGHTS_OPTION,
    model: str | None = MODEL_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
    database_url: str | None = DATABASE_OPTION,
) -> None:  # fmt: skip
    """Write detection histories (1/0/NA), effort and covariates for unmarked and camtrapR."""
    from db.reports import ranawatch_version
    from db.session import get_engine, session_scope
    from db.survey import load_survey, survey_about

    first, last = night_range(season, date_from, date_to, season_start, season_end)
    if not _ours_or_empty(out):
        typer.echo(
            f"error: {out} exists and is not a RanaWatch survey folder (no README.txt of "
            "ours); choose an empty or new folder for --out",
            err=True,
        )
        raise typer.Exit(1)
    url = common.database_url(database_url)
    try:
        with common.user_errors():
            with session_scope(get_engine(url)) as session:
                data = load_survey(
                    session=session, sites=sites or None, date_from=first, date_to=last, model=model
                )
            spec = SurveySpec(
                labels=data.labels, by=by, occasion_nights=occasion_nights,  # type: ignore[arg-type]
                date_from=first, date_to=last, nights=nights,  # type: ignore[arg-type]
            )  # fmt: skip
            tables = build_survey(data.sites, spec)
            about = survey_about(
                data, range_text=range_text(first, last, nights=nights, season=season),
                generated=f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}", version=ranawatch_version(),
            )  # fmt: skip
            files: list[Path] = []
            replace_folder(
                out, lambda tmp: files.extend(write_survey_files(tmp, tables, about=about))
            )
    except OSError as exc:
        raise write_error(exc, out) from exc
    summary = survey_summary(tables, data.model_tag)
    summary["folder"] = str(out)
    summary["files"] = sorted(p.name for p in files)
    if as_json:
        typer.echo(json.dumps(strict_json(summary), allow_nan=False, ensure_ascii=False))
        return
    found = "; ".join(
        f"{label} detected at {d['model']} (model rule), {d['confirmed']} (confirmed)"
        for label, d in summary["detected_units"].items()  # type: ignore[union-attr]
    )
    typer.echo(
        f"survey ({data.model_tag}): {summary['units']} {by}s ({summary['surveyed_units']} "
        f"with usable audio), {summary['occasions']} occasions of {occasion_nights} night(s); "
        f"{found or 'no target label'}"
    )
    for note in tables.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"wrote {out} ({len(files)} files)")


def register(app: typer.Typer) -> None:
    """Add the ``survey`` command to the ``ranawatch`` app."""
    app.command("survey")(survey)
