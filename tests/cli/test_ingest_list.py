"""``ranawatch db upgrade``, ``ranawatch ingest DIR`` and ``ranawatch list ... --json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.settings import get_settings
from db.migrate import head_revision
from tests.flows.helpers import (
    TinyModel,
    write_broken_recordings,
    write_good_recordings,
    write_too_short,
)

runner = CliRunner()


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_db_upgrade_creates_and_keeps_the_schema(data_dir: Path) -> None:
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert f"is at schema revision {head_revision()}" in result.stdout
    assert (data_dir / "ranawatch.db").is_file()


def test_db_upgrade_names_an_unreachable_database(data_dir: Path) -> None:
    url = "postgresql+psycopg://ranawatch:secret@127.0.0.1:1/nowhere"
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 1
    assert "127.0.0.1:1/nowhere" in result.stderr and "secret" not in result.stderr


def test_ingest_then_list(
    data_dir: Path, tmp_path: Path, tiny: TinyModel, prefect_api: str
) -> None:
    audio = tmp_path / "card"
    good = write_good_recordings(audio, n=2)
    broken = write_broken_recordings(audio / "odd")
    short = write_too_short(audio / "odd")
    args = ["ingest", str(audio), "--site", "Laguna Pond", "--settle-s", "0"]
    model = ["--checkpoint", str(tiny.checkpoint), "--model-card", str(tiny.card)]
    result = runner.invoke(app, [*args, *model, "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "ingest: 7 new files: 3 stored, 4 unreadable" in result.stdout
    assert "detect: 2 recordings scored" in result.stdout
    assert "1 could not be scored" in result.stdout

    listed = runner.invoke(app, ["list", "recordings", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {Path(row["path"]).name: row for row in _json_lines(listed.stdout)}
    expected = {p.name for p in good} | {p.name for p in broken.values()} | {short.name}
    assert set(rows) == expected
    for name, row in rows.items():
        assert row["site"] == "Laguna Pond"
        assert row["status"] in ("done", "failed"), name
        assert (row["status"] == "failed") == bool(row["error"]), name
    first = rows[good[0].name]
    assert first["status"] == "done" and first["recorded_at"] == "2024-03-01T03:00:00Z"
    assert (first["device_serial"], first["utc_offset"]) == ("249BC30461CBB1E6", "-08:00")

    failed = runner.invoke(app, ["list", "recordings", "--json", "--status", "failed"])
    assert {Path(r["path"]).name for r in _json_lines(failed.stdout)} == expected - {
        p.name for p in good
    }

    detections = _json_lines(runner.invoke(app, ["list", "detections", "--json"]).stdout)
    for det in detections:
        assert det["model"] == "Tiny_Test_Model" and det["model_version"] == "0.0-test"
        assert det["end_s"] > det["start_s"] >= 0 and 0 <= det["max_score"] <= 1
        assert det["start_at"].endswith("Z") and det["site"] == "Laguna Pond"
    assert {Path(d["path"]).name for d in detections} <= {p.name for p in good}

    again = runner.invoke(app, [*args, *model, "--device", "cpu"])
    assert again.exit_code == 0, again.output
    assert "ingest: 0 new files" in again.stdout and "detect: 0 recordings" in again.stdout
    table = runner.invoke(app, ["list", "recordings"])
    assert table.stdout.splitlines()[0].startswith("id\tpath\tstatus")
    assert len(table.stdout.splitlines()) == 1 + len(expected)


def test_ingest_without_a_checkpoint_says_what_to_do_before_touching_files(
    data_dir: Path, tmp_path: Path, prefect_api: str
) -> None:
    write_good_recordings(tmp_path / "card", n=1)
    result = runner.invoke(app, ["ingest", str(tmp_path / "card"), "--settle-s", "0"])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()  # one line, no traceback
    assert "RANAWATCH_CHECKPOINT" in line and "--no-detect" in line
    assert "ingest:" not in result.stdout
    listed = runner.invoke(app, ["list", "recordings", "--json"])
    assert listed.exit_code == 0 and _json_lines(listed.stdout) == []
    # --no-detect stores without a model.
    stored = runner.invoke(
        app, ["ingest", str(tmp_path / "card"), "--settle-s", "0", "--no-detect"]
    )
    assert stored.exit_code == 0 and "1 stored" in stored.stdout


def test_a_bad_checkpoint_or_card_is_one_line(data_dir: Path, tmp_path: Path) -> None:
    write_good_recordings(tmp_path / "card", n=1)
    bogus = tmp_path / "model.pth"
    bogus.write_bytes(b"not a checkpoint")
    for extra in (["--checkpoint", str(bogus)], ["--model-card", str(tmp_path / "nope.yaml")]):
        result = runner.invoke(app, ["ingest", str(tmp_path / "card"), *extra])
        assert result.exit_code == 1, result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("error: ") and "Traceback" not in result.output


def test_an_unreachable_postgresql_is_one_line(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANAWATCH_DATABASE_URL", "postgresql+psycopg://u:pw@127.0.0.1:1/none")
    get_settings.cache_clear()
    for args in (["ingest", str(tmp_path)], ["list", "recordings"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        (line,) = result.stderr.strip().splitlines()
        assert "cannot reach database" in line and "127.0.0.1:1/none" in line
        assert "pw" not in line
    get_settings.cache_clear()


def test_read_only_commands_never_create_a_database(data_dir: Path) -> None:
    result = runner.invoke(app, ["list", "recordings"])
    assert result.exit_code == 1
    assert "no database at" in result.stderr and "ranawatch ingest" in result.stderr
    assert not (data_dir / "ranawatch.db").exists()


def test_bad_usage_and_missing_database(data_dir: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["ingest", str(tmp_path / "missing")]).exit_code == 2
    assert runner.invoke(app, ["list", "recordings", "--status", "lost"]).exit_code == 2
    result = runner.invoke(app, ["list", "detections", "--json"])
    assert result.exit_code == 1 and "ranawatch db upgrade" in result.stderr
