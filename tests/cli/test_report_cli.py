"""``ranawatch report``: files written, a readable summary, exit 0/1/2."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from cli.main import app
from db.migrate import upgrade
from db.session import get_engine
from tests.db import report_seed as seed


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ranawatch.db'}"
    upgrade(url)
    seed.seed(get_engine(url))
    return url


def _run(*args: str):
    return CliRunner().invoke(app, ["report", *args])


def test_writes_workbook_csv_and_raven_tables(database: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / "pond.xlsx"
    result = _run(
        "--site", seed.SITE, "--from", "2024-03-01", "--to", "2024-03-04",
        "--model", "AST_Rana_Draytonii:1.0", "--out", str(out),
        "--csv", str(tmp_path / "pond.csv"), "--raven-dir", str(tmp_path / "raven"),
        "--database-url", database,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "Laguna Pond (AST_Rana_Draytonii:1.0): 5 recordings (1 positive, 2 negative, "
        "2 not analysed), 4 nights (1 with calls, 1 without audio), 2 events"
    ) in result.stdout
    assert f"wrote {out}" in result.stdout
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Results", "Detections", "Nights", "Survey", "About"]
    assert book["Results"]["C2"].value == "Positive"
    with (tmp_path / "pond.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["File Name"] for r in rows][:2] == ["20240301_190000", '\'=HYPERLINK("x")']
    raven = sorted(p.name for p in (tmp_path / "raven").iterdir())
    assert len(raven) == 5
    first = (tmp_path / "raven" / "20240301_190000.Table.1.selections.txt").read_text()
    assert first.splitlines()[1].split("\t")[3:7] == ["0.000", "20.000", "0.0", "8000.0"]


def test_unknown_site_exits_1_naming_the_known_sites(database: str, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    result = _run("--site", "Laguna", "--out", str(out), "--database-url", database)
    assert result.exit_code == 1
    assert "no site named 'Laguna'" in result.stderr
    assert "Laguna Pond, Upper Creek" in result.stderr
    assert not out.exists()


def test_unknown_model_and_reversed_range_exit_1(database: str, tmp_path: Path) -> None:
    out = str(tmp_path / "x.xlsx")
    bad_model = _run("--site", seed.SITE, "--model", "Nope:1", "--out", out,
                     "--database-url", database)  # fmt: skip
    assert bad_model.exit_code == 1 and "no model version 'Nope:1'" in bad_model.stderr
    reversed_range = _run("--site", seed.SITE, "--from", "2024-03-05", "--to", "2024-03-01",
                          "--out", out, "--database-url", database)  # fmt: skip
    assert reversed_range.exit_code == 1 and "swap" in reversed_range.stderr


def test_database_not_migrated_exits_1_with_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    sa.create_engine(url).dispose()
    result = _run("--site", "X", "--out", str(tmp_path / "x.xlsx"), "--database-url", url)
    assert result.exit_code == 1 and "ranawatch db upgrade" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "x.xlsx"],  # no --site
        ["--site", "Laguna Pond"],  # no --out
        ["--site", "Laguna Pond", "--out", "report.csv"],  # not a workbook
        ["--site", "Laguna Pond", "--out", "x.xlsx", "--from", "03/01/2024"],
    ],
)
def test_bad_usage_exits_2(args: list[str]) -> None:
    assert _run(*args).exit_code == 2


def test_unwritable_output_exits_1(database: str, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    result = _run("--site", seed.SITE, "--out", str(blocker / "x.xlsx"), "--database-url", database)
    assert result.exit_code == 1
    assert f"cannot write {blocker}" in result.stderr and "writable" in result.stderr


def test_season_and_recorded_nights_control_the_nights_sheet(database: str, tmp_path: Path) -> None:
    out = tmp_path / "pond.xlsx"
    result = _run("--site", seed.SITE, "--season", "2023-24", "--nights", "recorded",
                  "--model", "AST_Rana_Draytonii:1.0", "--out", str(out),
                  "--database-url", database)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 nights (1 with calls, 0 without audio)" in result.stdout
    book = openpyxl.load_workbook(out)
    assert [r[0].value.day for r in book["Nights"].iter_rows(min_row=2)] == [1, 3, 4]
    about = {r[0].value: r[1].value for r in book["About"].iter_rows(min_row=2)}
    assert (
        about["Date Range"] == "season 2023-24: nights with recordings of 2023-11-01 to 2024-04-30"
    )
    # The whole season in range mode: the empty months are two rows, not 180.
    result = _run("--site", seed.SITE, "--season", "2023-24", "--out", str(out),
                  "--model", "AST_Rana_Draytonii:1.0", "--database-url", database)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "182 nights (1 with calls, 179 without audio)" in result.stdout
    assert openpyxl.load_workbook(out)["Nights"].max_row == 1 + 6


def test_a_season_with_dates_is_bad_usage(database: str, tmp_path: Path) -> None:
    result = _run("--site", seed.SITE, "--season", "2023-24", "--from", "2024-03-01",
                  "--out", str(tmp_path / "x.xlsx"), "--database-url", database)  # fmt: skip
    assert result.exit_code == 2 and "not both" in result.output
