"""``ranawatch dataset build --reviews``: reads the stored reviews, never creates a database."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def test_reviews_need_a_database_and_never_create_one(data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["dataset", "build", str(tmp_path / "ds"), "--reviews"])
    assert result.exit_code == 1
    assert "no database at" in result.stderr and "Traceback" not in result.output
    assert not (data_dir / "ranawatch.db").exists()
    assert not (tmp_path / "ds").exists()


def test_reviews_of_an_unknown_model_version_say_which_are_known(
    data_dir: Path, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    args = ["dataset", "build", str(tmp_path / "ds"), "--reviews", "--model", "Nope:1.0"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "'Nope:1.0'" in line and "known: none" in line
