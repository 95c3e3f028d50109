"""A synthetic monitoring season written straight into a RanaWatch database (bulk inserts).

Sites along a creek in California, AudioMoths recording 10-minute files every 30 minutes
from 19:00 to 07:00 local time (UTC-8; every site but the last declares that schedule), a
temperature that rises through the spring and falls through each night, a battery that
drains, nights a device missed, a few unreadable files, and frog calls whose rate follows
temperature and hour. One model version has run on every
readable file; some events are reviewed (:mod:`bench.season_versions` adds a second
version). Used by ``bench/dashboard.py`` and ``scripts/screenshots.py``; never by the
application.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import sqlalchemy as sa

from db.activity_sums import refresh_sums
from db.models import (
    Deployment,
    Detection,
    DetectionRun,
    Device,
    ModelVersion,
    Recording,
    Review,
    Site,
)
from db.session import session_scope

FROG = "Rana draytonii"
LABELS = [FROG, "Negative"]
SETTINGS = {
    "positive_labels": [FROG],
    "negative_label": "Negative",
    "decision": {"rule": "argmax"},
    "frontend": {"samplerate_hz": 16000, "window_s": 10.0},
}
OFFSET_MIN = -480


@dataclass(frozen=True)
class SeasonSize:
    """How big a season to write."""

    sites: int = 5
    devices_per_site: int = 2
    nights: int = 60
    first_night: date = date(2024, 2, 1)
    file_s: float = 600.0
    every_min: int = 30
    hours: tuple[int, int] = (19, 7)  # local start and end hour of the schedule
    audio_path: str = "/audio"


def _chunks(rows: list[dict], n: int = 5000):
    for i in range(0, len(rows), n):
        yield rows[i : i + n]


def fill_season(
    engine: sa.Engine,
    size: SeasonSize = SeasonSize(),
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write the season into the (migrated, empty) database; return row counts.

    ``progress(sites_done, sites)`` is called after each site's rows are written.
    """
    rng = np.random.default_rng(seed)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(ModelVersion),
            [
                {
                    "name": "AST_Rana_Draytonii",
                    "version": "1.0",
                    "checkpoint_sha256": "a" * 64,
                    "labels": LABELS,
                    "settings": SETTINGS,
                    "created_at": now,
                }
            ],
        )
        mv = conn.execute(sa.select(ModelVersion.id)).scalar_one()
        names = [
            "Laguna Pond",
            "Upper Creek",
            "Willow Slough",
            "Redwood Pool",
            "Mill Race",
            "Oak Flat",
            "Cattail Marsh",
            "Spring Run",
        ]
        sites = []
        schedule = {
            "record_s": size.file_s,
            "every_min": size.every_min,
            "start": f"{size.hours[0]:02d}:00",
            "end": f"{size.hours[1]:02d}:00",
        }
        for s in range(size.sites):
            name = names[s] if s < len(names) else f"Site {s + 1:02d}"
            lat, lon = 37.10 + 0.012 * s + 0.004 * math.sin(s), -122.30 + 0.017 * s
            has_coords = s != size.sites - 1 or size.sites < 3  # one site lacks coordinates
            conn.execute(
                sa.insert(Site),
                [
                    {
                        "name": name,
                        "latitude": lat if has_coords else None,
                        "longitude": lon if has_coords else None,
                        "created_at": now,
                        # Every site but the last declares the schedule its recorders keep.
                        "schedule": schedule if s != size.sites - 1 else None,
                    }
                ],
            )
            sites.append(
                (
                    conn.execute(sa.select(Site.id).where(Site.name == name)).scalar_one(),
                    lat,
                    lon,
                    has_coords,
                )
            )
        counts = {"recordings": 0, "detections": 0, "reviews": 0}
        rec_id = det_id = 0
        per_night = int(((24 - size.hours[0] + size.hours[1]) % 24) * 60 / size.every_min)
        for s, (site_id, lat, lon, has_coords) in enumerate(sites):
            warmth = rng.normal(0, 1.5)
            for d in range(size.devices_per_site):
                serial = hashlib.sha256(f"{s}-{d}".encode()).hexdigest()[:16].upper()
                conn.execute(
                    sa.insert(Device),
                    [{"serial": serial, "recorder": "AudioMoth", "created_at": now}],
                )
                dev = conn.execute(sa.select(Device.id).where(Device.serial == serial)).scalar_one()
                start = datetime.combine(size.first_night, datetime.min.time(), UTC)
                conn.execute(
                    sa.insert(Deployment),
                    [{"device_id": dev, "site_id": site_id, "start_at": start}],
                )
                dlat = lat + rng.normal(0, 0.0015) if has_coords and d == 0 else None
                dlon = lon + rng.normal(0, 0.0015) if has_coords and d == 0 else None
                recs, runs, dets, reviews = [], [], [], []
                offline = set(
                    rng.choice(size.nights, size=max(1, size.nights // 12), replace=False)
                )
                battery = 4.8
                for n in range(size.nights):
                    night = size.first_night + timedelta(days=n)
                    if n in offline:
                        continue
                    battery -= rng.uniform(0.004, 0.012)
                    season_t = 8 + 8 * n / max(size.nights, 1) + warmth
                    for k in range(per_night):
                        local = datetime.combine(night, datetime.min.time()) + timedelta(
                            hours=size.hours[0], minutes=k * size.every_min
                        )
                        utc = (local - timedelta(minutes=OFFSET_MIN)).replace(tzinfo=UTC)
                        hour_frac = k / per_night
                        temp = season_t + 4 * math.cos(math.pi * hour_frac) + rng.normal(0, 0.8)
                        rec_id += 1
                        failed = rng.random() < 0.004
                        name = f"{size.audio_path}/{serial}/{local:%Y%m%d_%H%M%S}.WAV"
                        recs.append(
                            {
                                "id": rec_id,
                                "path": name,
                                "size_bytes": 19_200_044,
                                "sha256": hashlib.sha256(name.encode()).hexdigest(),
                                "device_id": dev,
                                "site_id": site_id,
                                "recorded_at": utc,
                                "utc_offset_min": OFFSET_MIN,
                                "time_source": "guano",
                                "duration_s": None if failed else size.file_s,
                                "samplerate_hz": 16000,
                                "channels": 1,
                                "truncated": False,
                                "temperature_c": round(temp, 1),
                                "battery_v": round(battery, 2),
                                "latitude": dlat,
                                "longitude": dlon,
                                "recorder_metadata": {},
                                "readable": not failed,
                                "status": "failed" if failed else "done",
                                "error": "not a RIFF/WAVE file (card pulled while writing?)"
                                if failed
                                else None,
                                "ingested_at": utc + timedelta(hours=12),
                            }
                        )
                        if failed:
                            continue
                        p = 0.85 / (1 + math.exp(-0.6 * (temp - 12))) * (1.2 - hour_frac)
                        n_events = int(rng.poisson(3 * p)) if rng.random() < p else 0
                        runs.append(
                            {
                                "recording_id": rec_id,
                                "model_version_id": mv,
                                "status": "done",
                                "attempts": 1,
                                "finished_at": utc + timedelta(hours=13),
                                "prediction": "Positive" if n_events else "Negative",
                                "times_heard": "",
                                "n_windows": int(size.file_s // 10),
                                "n_events": n_events,
                            }
                        )
                        starts = np.sort(
                            rng.choice(
                                int(size.file_s // 10) - 2, size=min(n_events, 40), replace=False
                            )
                        )
                        for start_w in starts:
                            det_id += 1
                            length = int(rng.integers(1, 4))
                            score = float(rng.uniform(0.55, 0.99))
                            dets.append(
                                {
                                    "id": det_id,
                                    "recording_id": rec_id,
                                    "model_version_id": mv,
                                    "label": FROG,
                                    "start_s": 10.0 * start_w,
                                    "end_s": 10.0 * (start_w + length),
                                    "max_score": score,
                                    "mean_score": score - 0.05,
                                    "n_windows": length,
                                }
                            )
                            if rng.random() < 0.05:
                                reviews.append(
                                    {
                                        "detection_id": det_id,
                                        "reviewer": "ann",
                                        "verdict": "confirmed" if score > 0.7 else "rejected",
                                        "reviewed_at": now,
                                        "note": None,
                                    }
                                )
                for table, rows in (
                    (Recording, recs),
                    (DetectionRun, runs),
                    (Detection, dets),
                    (Review, reviews),
                ):
                    for chunk in _chunks(rows):
                        conn.execute(sa.insert(table), chunk)
                counts["recordings"] += len(recs)
                counts["detections"] += len(dets)
                counts["reviews"] += len(reviews)
            if progress is not None:
                progress(s + 1, len(sites))
        if engine.dialect.name == "postgresql":
            for table in ("recordings", "detections"):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    # Rows written around db's functions: the dashboard's sums are computed once, at the end.
    with session_scope(engine) as session:
        refresh_sums(session=session)
    return counts
