"""Runtime settings, read from ``RANAWATCH_*`` environment variables or a ``.env`` file.

Settings are built on demand by :func:`get_settings`, never at import time, and nothing
else in RanaWatch reads ``os.environ``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Device = Literal["auto", "cpu", "cuda"]


class Settings(BaseSettings):
    """Everything a deployment of RanaWatch can configure.

    Every field can be set as ``RANAWATCH_<FIELD>`` (e.g. ``RANAWATCH_DATABASE_URL``).
    """

    model_config = SettingsConfigDict(
        env_prefix="RANAWATCH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default_factory=lambda: default_data_dir(),
        description="Folder for the SQLite database, reports and logs; default: the user's "
        "data folder (~/.local/share/ranawatch on Linux, ~/Library/Application Support/"
        "ranawatch on macOS, %LOCALAPPDATA%\\ranawatch on Windows), the same from any folder.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file <data_dir>/ranawatch.db. "
        "PostgreSQL: postgresql+psycopg://user:pass@host:5432/db",
    )
    audio_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Folders scanned for new recordings (comma- or os.pathsep-separated).",
    )
    sites_file: Path | None = Field(
        default=None, description="YAML/CSV file mapping devices and folders to sites."
    )
    checkpoint: Path | None = Field(default=None, description="AST checkpoint (.pth) to run.")
    model_card: Path | None = Field(
        default=None,
        description="YAML model card (name, version, labels, input settings); "
        "default: the fine-tuned Rana draytonii model.",
    )
    device: Device = Field(default="auto", description="auto: cuda when present, else cpu.")
    bf16: bool = Field(default=False, description="bf16 autocast on CUDA.")
    batch_size: int | None = Field(
        default=None,
        ge=1,
        description="Windows per forward pass; default: 4 on a CPU, 64 on a GPU "
        "(bench/README.md: the sweep behind them).",
    )
    hop_s: float = Field(default=10.0, gt=0)
    reports_dir: Path | None = Field(default=None, description="default: <data_dir>/reports")
    log_level: str = "INFO"
    recorder_time_zone: str | None = Field(
        default=None,
        description=(
            "IANA time zone (e.g. America/Los_Angeles) of recorders that write local times "
            "without a zone (GUANO Timestamp); unset: such times are stored as zone unknown."
        ),
    )
    min_samplerate_hz: int = Field(
        default=1_000, ge=1, description="Lowest plausible sample rate; below: header damaged."
    )
    max_samplerate_hz: int = Field(
        default=1_000_000, ge=1, description="Highest plausible sample rate; above: damaged."
    )
    copy_timeout_s: float = Field(
        default=600.0,
        ge=0,
        description="A file whose header promises more audio than it holds counts as a copy "
        "in progress until it has not changed for this long; then it is stored as truncated.",
    )

    dashboard_reviewers: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="Reviewer accounts of the dashboard: NAME=HASH pairs, comma-separated, "
        "the hashes from `ranawatch hash-password`. Without any, nobody can review.",
    )
    dashboard_secret_key: str | None = Field(
        default=None,
        description="Key that signs the dashboard's login cookies; set it (a long random "
        "string) when reviewers sign in, or sessions end whenever the dashboard restarts.",
    )
    dashboard_open_viewing: bool = Field(
        default=True, description="Whether the dashboard can be viewed without signing in."
    )
    dashboard_tile_url: str | None = Field(
        default=None,
        description="Map tiles for the dashboard's map, "
        "e.g. https://tile.example.org/{z}/{x}/{y}.png; "
        "default: no tiles (an outline map that works offline).",
    )
    dashboard_tile_attribution: str = Field(
        default="", description="Attribution shown under the map when tiles are used."
    )
    dashboard_refresh_s: float = Field(
        default=120.0,
        ge=0,
        description="Seconds between the dashboard's refreshes of an open page (new "
        "recordings, detections and reviews appear without a reload; filters, zoom and a "
        "review in progress are kept); 0: never.",
    )

    @field_validator("dashboard_reviewers", mode="before")
    @classmethod
    def _split_reviewers(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [p.strip() for p in value.split(",") if p.strip()]
            accounts = {}
            for pair in pairs:
                name, sep, hashed = pair.partition("=")
                if not sep or not name.strip() or not hashed.strip():
                    raise ValueError(
                        f"reviewer account {pair.split('=')[0]!r} is not NAME=HASH "
                        "(make the hash with `ranawatch hash-password`)"
                    )
                accounts[name.strip()] = hashed.strip()
            return accounts
        return value

    @field_validator("recorder_time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(
                    f"unknown time zone {value!r}: use an IANA name such as America/Los_Angeles"
                ) from exc
        return value

    @field_validator("audio_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str):
            import os
            import re

            parts = re.split(rf"[,{re.escape(os.pathsep)}]", value)
            return [p.strip() for p in parts if p.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in :attr:`data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ranawatch.db').resolve()}"

    @property
    def resolved_reports_dir(self) -> Path:
        """Where report workbooks go, defaulting to ``<data_dir>/reports``."""
        return self.reports_dir or self.data_dir / "reports"


def child_environment(
    extra: dict[str, str] | None = None, *, drop: tuple[str, ...] = ()
) -> dict[str, str]:
    """The environment for a child process: this process's, with ``extra`` set, ``drop`` unset.

    The one other place the environment is touched: a server the CLI starts must see the
    same settings as the CLI itself.
    """
    import os

    env = {**os.environ, **(extra or {})}
    for name in drop:
        env.pop(name, None)
    return env


def default_data_dir() -> Path:
    """The per-user data folder (platformdirs), so every command finds the same database."""
    from platformdirs import user_data_path

    return user_data_path("ranawatch", appauthor=False)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (built once, on first use)."""
    return Settings()
