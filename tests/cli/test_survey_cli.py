"""``ranawatch survey``: the seeded season as detection histories, strict JSON, exit 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from db.migrate import upgrade
from db.session import get_engine
from tests.db import report_seed as seed

NA = np.nan


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ranawatch.db'}"
    upgrade(url)
    seed.seed(get_engine(url))
    return url


def _run(*args: str):
    return CliRunner().invoke(app, ["survey", *args])


def _y(folder: Path, rule: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"y_rana_draytonii_{rule}.csv", index_col=0)


def test_writes_the_detection_histories_of_the_season(database: str, tmp_path: Path) -> None:
    out = tmp_path / "survey"
    result = _run("--out", str(out), "--from", "2024-03-01", "--to", "2024-03-04",
                  "--model", "AST_Rana_Draytonii:1.0", "--database-url", database)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 sites (2 with usable audio), 4 occasions" in result.stdout
    assert "detected at 2 (model rule), 1 (confirmed)" in result.stdout
    model, confirmed = _y(out, "model"), _y(out, "confirmed")
    assert list(model.index) == [seed.SITE, seed.OTHER_SITE]
    np.testing.assert_array_equal(model.to_numpy(), [[1, NA, 0, NA], [1, NA, NA, NA]])
    np.testing.assert_array_equal(confirmed.to_numpy(), [[1, NA, 0, NA], [0, NA, NA, NA]])
    effort = pd.read_csv(out / "effort_minutes.csv", index_col=0)
    assert effort.to_numpy().tolist() == [[2.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    covs = pd.read_csv(out / "site_covs.csv", index_col=0)
    assert covs.loc[seed.SITE, "latitude"] == 37.1
    assert "AST_Rana_Draytonii:1.0" in (out / "README.txt").read_text(encoding="utf-8")


def test_json_summary_is_strict_and_by_device(database: str, tmp_path: Path) -> None:
    out = tmp_path / "survey"
    result = _run(
        "--out", str(out), "--site", seed.SITE, "--by", "device", "--occasion-nights", "3",
        "--season", "2023-24", "--nights", "recorded", "--model", "AST_Rana_Draytonii:1.0",
        "--json", "--database-url", database,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"bare {c}"))
    assert summary["rows"] == "device" and summary["units"] == 1
    assert summary["occasions"] == 1 and summary["detected_units"]["Rana draytonii"] == {
        "model": 1, "confirmed": 1,
    }  # fmt: skip
    model = _y(out, "model")
    assert list(model.index) == ["AudioMoth 249BC30461CBB1E6"] and model.to_numpy().tolist() == [
        [1]
    ]


def test_refuses_to_replace_a_folder_that_is_not_a_survey(database: str, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious", encoding="utf-8")
    result = _run("--out", str(out), "--database-url", database)
    assert result.exit_code == 1 and "not a RanaWatch survey folder" in result.stderr
    assert (out / "thesis.docx").is_file()
    # A survey folder of ours is replaced whole.
    assert _run("--out", str(tmp_path / "s"), "--database-url", database).exit_code == 0
    assert _run("--out", str(tmp_path / "s"), "--database-url", database).exit_code == 0


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--site", "Nowhere"], 1),
        (["--model", "Nope:1"], 1),
        (["--from", "2024-03-05", "--to", "2024-03-01"], 1),
        (["--season", "2023-24", "--from", "2024-01-01"], 2),
        (["--season", "spring"], 2),
        (["--by", "pond"], 2),
        (["--occasion-nights", "0"], 2),
        (["--nights", "some"], 2),
    ],
)
def test_user_errors_exit_with_one_line(database: str, tmp_path: Path, args, code) -> None:
    result = _run("--out", str(tmp_path / "s"), *args, "--database-url", database)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
