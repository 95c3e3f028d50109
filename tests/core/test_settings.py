"""Settings come from RANAWATCH_* variables and have safe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings, get_settings


def test_defaults_put_sqlite_in_the_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("RANAWATCH_DATA_DIR", "RANAWATCH_DATABASE_URL", "RANAWATCH_DEVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    urls = set()
    for folder in (tmp_path / "one", tmp_path / "two"):  # the same from any folder
        folder.mkdir()
        monkeypatch.chdir(folder)
        settings = Settings()
        urls.add(settings.resolved_database_url)
    assert settings.device == "auto"
    data = tmp_path / "xdg" / "ranawatch"
    assert urls == {f"sqlite:///{data / 'ranawatch.db'}"}
    assert settings.resolved_reports_dir == data / "reports"


def test_data_dir_variable_still_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RANAWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("RANAWATCH_DATA_DIR", str(tmp_path / "mine"))
    assert Settings().resolved_database_url == f"sqlite:///{tmp_path / 'mine' / 'ranawatch.db'}"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RANAWATCH_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("RANAWATCH_AUDIO_ROOTS", f"{tmp_path / 'a'}, {tmp_path / 'b'}")
    monkeypatch.setenv("RANAWATCH_DEVICE", "cpu")
    monkeypatch.setenv("RANAWATCH_HOP_S", "5")
    settings = Settings()
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert settings.audio_roots == [tmp_path / "a", tmp_path / "b"]
    assert settings.device == "cpu"
    assert settings.hop_s == 5.0


def test_env_file_in_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RANAWATCH_BATCH_SIZE", raising=False)
    (tmp_path / ".env").write_text("RANAWATCH_BATCH_SIZE=32\n")
    assert Settings().batch_size == 32


@pytest.mark.parametrize(
    ("name", "value"), [("DEVICE", "tpu"), ("HOP_S", "0"), ("BATCH_SIZE", "0")]
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"RANAWATCH_{name}", value)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings()


def test_get_settings_is_built_once_on_demand(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("RANAWATCH_BATCH_SIZE", "3")
    first = get_settings()
    monkeypatch.setenv("RANAWATCH_BATCH_SIZE", "4")
    assert get_settings() is first
    assert first.batch_size == 3
    get_settings.cache_clear()
