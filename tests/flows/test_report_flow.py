"""The ``write-site-reports`` flow under a Prefect test harness, on a seeded SQLite database."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import select

from core.errors import RanaWatchError
from db.models import FlowStatus, RunLog
from db.session import get_engine, session_scope
from tests.db import report_seed as seed

# One Prefect test server for the whole session: tests/flows/conftest.py.
pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def database(database_url: str) -> str:
    """The shared fresh SQLite database, with the seeded season of tests.db.report_seed."""
    seed.seed(get_engine(database_url))
    return database_url


def _run_log(url: str) -> RunLog:
    with session_scope(get_engine(url)) as session:
        return session.exec(select(RunLog).order_by(RunLog.id.desc())).first()


def test_writes_workbook_csv_and_raven_tables_per_site(database: str, tmp_path: Path) -> None:
    from flows.report import write_site_reports

    out = tmp_path / "reports"
    written = write_site_reports(out_dir=str(out), database_url=database)
    assert set(written) == {seed.SITE, seed.OTHER_SITE}
    pond = out / "Laguna_Pond"
    assert written[seed.SITE] == str(pond / "Laguna_Pond.xlsx")
    assert (pond / "Laguna_Pond.csv").is_file()
    tables = sorted(p.name for p in (pond / "raven").iterdir())
    assert len(tables) == 5 and "20240301_190000.Table.1.selections.txt" in tables
    assert not [p for p in pond.iterdir() if p.name.startswith(".")]  # no temp files left

    book = openpyxl.load_workbook(pond / "Laguna_Pond.xlsx")
    assert book.sheetnames == ["Results", "Detections", "Nights", "Survey", "About"]
    results = book["Results"]
    assert results.max_row == 1 + 5
    # Default model: the newest with results at the site (2.0 found one call at 10-20 s).
    assert results["A2"].value == "AST_Rana_Draytonii:2.0"
    assert results["D2"].value == "10-20"
    creek = openpyxl.load_workbook(out / "Upper_Creek" / "Upper_Creek.xlsx")["Results"]
    assert creek.max_row == 2 and creek["A2"].value == "AST_Rana_Draytonii:1.0"

    entry = _run_log(database)
    assert entry.flow == "write-site-reports" and entry.status == FlowStatus.COMPLETED
    assert entry.counts["written"] == 2 and entry.counts["recordings"] == 6


def test_model_and_range_parameters(database: str, tmp_path: Path) -> None:
    from datetime import date

    from flows.report import write_site_reports

    out = tmp_path / "reports"
    write_site_reports(
        sites=[seed.SITE],
        out_dir=str(out),
        model="AST_Rana_Draytonii:1.0",
        date_from=date(2024, 3, 1),
        date_to=date(2024, 3, 1),
        raven=False,
        database_url=database,
    )
    pond = out / "Laguna_Pond"
    assert not (pond / "raven").exists() and not (out / "Upper_Creek").exists()
    results = openpyxl.load_workbook(pond / "Laguna_Pond.xlsx")["Results"]
    assert [results.cell(r, 2).value for r in range(2, results.max_row + 1)] == [
        "20240301_190000",
        '\'=HYPERLINK("x")',
    ]
    assert results["D2"].value == "0-20, 40-60"


def test_a_failing_site_does_not_stop_the_others(database: str, tmp_path: Path) -> None:
    from flows.report import write_site_reports

    out = tmp_path / "reports"
    stale = out / "Laguna_Pond" / "raven" / "gone.Table.1.selections.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("old\n", encoding="utf-8")
    with pytest.raises(RanaWatchError, match="1 of 2 site reports failed: Nowhere: no site"):
        write_site_reports(sites=["Nowhere", seed.SITE], out_dir=str(out), database_url=database)
    assert (out / "Laguna_Pond" / "Laguna_Pond.xlsx").is_file()
    assert not stale.exists()  # the Raven folder is replaced whole
    entry = _run_log(database)
    assert entry.status == FlowStatus.FAILED and "Nowhere" in entry.message
    assert (entry.counts["written"], entry.counts["failed"]) == (1, 1)


def test_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    from flows.report import write_site_reports

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    sa.create_engine(url).dispose()
    with pytest.raises(RanaWatchError, match="ranawatch db upgrade"):
        write_site_reports(out_dir=str(tmp_path / "r"), database_url=url)


def test_sites_whose_names_collide_write_to_distinct_folders(database: str, tmp_path: Path) -> None:
    from db import crud
    from flows.report import write_site_reports

    with session_scope(get_engine(database)) as session:
        ids = {name: crud.upsert_site(session=session, name=name).id
               for name in ("Laguna_Pond", "Pond", "=Pond")}  # fmt: skip
    out = tmp_path / "reports"
    written = write_site_reports(out_dir=str(out), raven=False, database_url=database)
    books = {Path(p).parent.name for p in written.values()}
    assert len(books) == len(written) == 5
    assert written[seed.SITE] == str(out / "Laguna_Pond" / "Laguna_Pond.xlsx")  # the first keeps it
    assert {f"Laguna_Pond-{ids['Laguna_Pond']}", "Pond", f"Pond-{ids['=Pond']}"} <= books


def test_writes_the_survey_of_all_sites_and_a_season(database: str, tmp_path: Path) -> None:
    import pandas as pd

    from flows.report import write_site_reports

    out = tmp_path / "reports"
    write_site_reports(
        out_dir=str(out), model="AST_Rana_Draytonii:1.0", season="2023-24", nights="recorded",
        raven=False, database_url=database,
    )  # fmt: skip
    folder = out / "_survey"
    y = pd.read_csv(folder / "y_rana_draytonii_model.csv", index_col=0)
    assert list(y.index) == [seed.SITE, seed.OTHER_SITE]
    # Recorded nights only: 1, 3 and 4 March (2 March had no audio anywhere).
    assert list(y.columns) == ["2024-03-01", "2024-03-03", "2024-03-04"]
    assert y.loc[seed.SITE].tolist()[:2] == [1.0, 0.0]
    assert "season 2023-24" in (folder / "README.txt").read_text(encoding="utf-8")
    nights = openpyxl.load_workbook(out / "Laguna_Pond" / "Laguna_Pond.xlsx")["Nights"]
    assert nights.max_row == 1 + 3  # recorded nights only
    assert _run_log(database).counts["survey_files"] >= 10
