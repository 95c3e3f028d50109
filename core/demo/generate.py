"""Render a synthetic season into AudioMoth files, with its ground truth and sites file.

:func:`generate_season` writes, under the output folder::

    SYNTHETIC.txt                       what this is (made up, for the demo)
    sites.yaml                          the ponds and their recorders (``--sites-file``)
    ground_truth.csv                    every planted call: file, start_s, end_s, ...
    recordings.csv                      every file: recorder, time, temperature, weather
    <Site>/<serial>/YYYYMMDD_HHMMSS.WAV the recordings

Files are rendered in parallel-free, seeded order; the same config gives the same bytes.
"""

from __future__ import annotations

import csv
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml

from core.demo.header import MothState, write_audiomoth_wav
from core.demo.season import PlannedRecording, SeasonConfig, plan_season
from core.demo.sounds import CALL_LABEL, GruntSeries, background, plan_series, render_series

logger = logging.getLogger(__name__)

GROUND_TRUTH = "ground_truth.csv"
RECORDINGS = "recordings.csv"
SITES_FILE = "sites.yaml"
GROUND_TRUTH_COLUMNS = (
    "file",
    "site",
    "device_serial",
    "recorded_at",
    "start_s",
    "end_s",
    "label",
    "grunts",
    "grunt_rate_hz",
    "temperature_c",
)
NOTICE = (
    "SYNTHETIC DATA made by `ranawatch demo generate` for the RanaWatch demo.\n"
    "The recorders, sites, weather and calls are invented. The planted calls are a made-up\n"
    f"frog-like grunt series (label '{CALL_LABEL}'), not recordings of any real species.\n"
)


@dataclass(frozen=True)
class Season:
    """What :func:`generate_season` wrote."""

    root: Path
    files: list[Path]
    calls: int
    sites_file: Path
    ground_truth: Path


def site_folder(name: str) -> str:
    """A folder name for a site (letters, digits, ``_`` and ``-``)."""
    return re.sub(r"[^A-Za-z0-9-]+", "_", name).strip("_")


def render_recording(
    plan: PlannedRecording, samplerate_hz: int, series: list[GruntSeries]
) -> np.ndarray:
    """The samples of one recording: background, chorus, rain and the planted ``series``."""
    rng = np.random.default_rng(plan.seed)
    audio = background(
        rng,
        int(plan.duration_s * samplerate_hz),
        samplerate_hz,
        wind_strength=plan.night.wind,
        rain_intensity=plan.rain,
        callers=max(0, plan.night.chorus_callers - int(plan.hours_after_sunset)),
    )
    for call in series:
        render_series(audio, samplerate_hz, call, rng)
    return audio


def calls_of(plan: PlannedRecording) -> list[GruntSeries]:
    """The planted calls of a recording (seeded by the recording, so stable across runs)."""
    rng = np.random.default_rng(plan.seed + 1)
    return plan_series(rng, plan.duration_s, plan.temperature_c, float(rng.uniform(0.25, 0.5)))


def generate_season(
    out_dir: str | Path,
    config: SeasonConfig = SeasonConfig(),
    progress: Callable[[int, int], None] | None = None,
) -> Season:
    """Write the whole season into ``out_dir`` (created; existing files are overwritten).

    Parameters
    ----------
    out_dir
        Output folder.
    config
        The season; the default makes a few hundred 30-second files.
    progress
        Called as ``progress(done, total)`` after each file.
    """
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    (root / "SYNTHETIC.txt").write_text(NOTICE, encoding="utf-8")
    plans = plan_season(config)
    files: list[Path] = []
    truth_rows: list[dict[str, object]] = []
    file_rows: list[dict[str, object]] = []
    for done, plan in enumerate(plans, 1):
        series = calls_of(plan)
        audio = render_recording(plan, config.samplerate_hz, series)
        state = MothState(
            start_utc=plan.start_utc,
            utc_offset_min=config.utc_offset_min,
            serial=plan.serial,
            battery_v=plan.battery_v,
            temperature_c=plan.temperature_c,
            latitude=plan.site.latitude,
            longitude=plan.site.longitude,
            samplerate_hz=config.samplerate_hz,
            stop_reason=plan.stop_reason,
        )
        relative = Path(site_folder(plan.site.name)) / plan.serial / state.filename
        keep = None
        if plan.kept_fraction < 1.0:
            keep = 488 + 2 * int(audio.size * plan.kept_fraction) + 1  # a partial last frame
        end = plan.start_utc.timestamp() + plan.duration_s
        write_audiomoth_wav(
            root / relative,
            audio,
            state,
            keep_bytes=keep,
            mtime=datetime.fromtimestamp(end, UTC),
        )
        files.append(root / relative)
        heard_s = plan.duration_s * plan.kept_fraction
        kept_series = [s for s in series if s.end_s <= heard_s]
        for call in kept_series:
            truth_rows.append(
                {
                    "file": relative.as_posix(),
                    "site": plan.site.name,
                    "device_serial": plan.serial,
                    "recorded_at": plan.start_utc.isoformat().replace("+00:00", "Z"),
                    "start_s": call.start_s,
                    "end_s": call.end_s,
                    "label": CALL_LABEL,
                    "grunts": call.grunts,
                    "grunt_rate_hz": call.rate_hz,
                    "temperature_c": plan.temperature_c,
                }
            )
        file_rows.append(
            {
                "file": relative.as_posix(),
                "site": plan.site.name,
                "device_serial": plan.serial,
                "recorded_at": plan.start_utc.isoformat().replace("+00:00", "Z"),
                "night": plan.night.date.isoformat(),
                "duration_s": plan.duration_s,
                "audio_s": round(heard_s, 3),
                "temperature_c": plan.temperature_c,
                "battery_v": plan.battery_v,
                "rain": round(plan.rain, 3),
                "wind": round(plan.night.wind, 4),
                "chorus_callers": plan.night.chorus_callers,
                "calls": len(kept_series),
                "stop_reason": plan.stop_reason or "",
                "truncated": plan.kept_fraction < 1.0,
            }
        )
        if progress is not None:
            progress(done, len(plans))
    ground_truth = _write_csv(root / GROUND_TRUTH, GROUND_TRUTH_COLUMNS, truth_rows)
    _write_csv(root / RECORDINGS, tuple(file_rows[0]) if file_rows else ("file",), file_rows)
    sites_file = write_sites_file(root / SITES_FILE, config)
    logger.info("wrote %d synthetic recordings with %d planted calls", len(files), len(truth_rows))
    return Season(root, files, len(truth_rows), sites_file, ground_truth)


def recording_schedule(config: SeasonConfig) -> dict[str, object]:
    """The season's schedule as a sites file declares it (``db.sites.RecordingSchedule``):
    ``recording_s`` every ``interval_min`` from sunset, over a period that ends with the
    last file a night (the plan starts one at ``hours_after_sunset`` itself), in hours
    rounded up to 0.01."""
    step_s = config.interval_min * 60
    per_night = int(config.hours_after_sunset * 3600 // step_s) + 1
    period_h = ((per_night - 1) * step_s + config.recording_s) / 3600
    return {
        "record_s": config.recording_s,
        "every_min": config.interval_min,
        "start": "sunset",
        "hours": math.ceil(round(period_h * 100, 6)) / 100,
    }


def write_sites_file(path: Path, config: SeasonConfig) -> Path:
    """The sites file of the season: ponds, coordinates, their recorders and schedule."""
    sites = [
        {
            "name": site.name,
            "latitude": site.latitude,
            "longitude": site.longitude,
            "notes": "synthetic demo site",
            "devices": list(site.devices),
            "schedule": recording_schedule(config),
        }
        for site in config.sites
    ]
    text = "# Synthetic demo sites (made up), written by `ranawatch demo generate`.\n"
    path.write_text(text + yaml.safe_dump({"sites": sites}, sort_keys=False), encoding="utf-8")
    return path


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_ground_truth(path: str | Path) -> list[dict[str, str]]:
    """The rows of a ``ground_truth.csv`` as written by :func:`generate_season`."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
