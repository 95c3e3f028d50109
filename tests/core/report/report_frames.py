"""Small input frames for the report tests: one site, two nights of one AudioMoth at UTC-8.

Night of 2022-12-01: ``20221201_190000`` with two RADR events (0-20 s, 40-60 s; one
confirmed with a note ``+cmd``), ``=HYPERLINK("x")`` with no calls, and
``20221202_021000`` (after midnight, same night) with one event. Night of 2022-12-03:
``20221203_190000`` analysed without calls. ``20221204_190000`` failed and was never
analysed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from core.report.tables import ReportMeta

DEVICE = "AudioMoth 249BC30461CBB1E6"
PST = -480


def _rec(rid: int, name: str, utc: datetime, temp: float | None, **extra: object) -> dict:
    row = {
        "recording_id": rid,
        "file_name": f"/cards/pond/{name}",
        "device_id": DEVICE,
        "recorded_at": utc,
        "utc_offset_min": PST,
        "temperature_c": temp,
        "duration_s": 60.0,
        "status": "done",
        "analysed": True,
        "error": None,
    }
    row.update(extra)
    return row


def recordings() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _rec(1, "20221201_190000.WAV", datetime(2022, 12, 2, 3, 0, tzinfo=UTC), 9.3),
            _rec(2, '=HYPERLINK("x").wav', datetime(2022, 12, 2, 4, 50, tzinfo=UTC), 9.1),
            _rec(3, "20221202_021000.WAV", datetime(2022, 12, 2, 10, 10, tzinfo=UTC), -2.5),
            _rec(4, "20221203_190000.WAV", datetime(2022, 12, 4, 3, 0, tzinfo=UTC), 8.0),
            _rec(
                5,
                "20221204_190000.WAV",
                datetime(2022, 12, 5, 3, 0, tzinfo=UTC),
                None,
                duration_s=None,
                status="failed",
                analysed=False,
                error="header promises more audio than the file holds",
            ),
        ]
    )


def _det(did: int, rid: int, start: float, end: float, **review: object) -> dict:
    row = {
        "detection_id": did,
        "recording_id": rid,
        "start_s": start,
        "end_s": end,
        "label": "RADR",
        "max_score": 0.9,
        "mean_score": 0.8,
        "verdict": None,
        "reviewer": None,
        "reviewed_at": None,
        "note": None,
    }
    row.update(review)
    return row


def detections() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _det(
                1,
                1,
                0.0,
                20.0,
                verdict="confirmed",
                reviewer="ann",
                reviewed_at=datetime(2023, 7, 22, 17, 5, tzinfo=UTC),
                note="+cmd",
            ),
            _det(
                2,
                1,
                40.0,
                60.0,
                max_score=0.7,
                mean_score=0.6,
                verdict="unsure",
                reviewer="bo",
                reviewed_at=datetime(2023, 7, 20, 9, 0, tzinfo=UTC),
            ),
            _det(3, 3, 30.0, 50.0, max_score=0.75, mean_score=0.7),
        ]
    )


def window_summary() -> pd.DataFrame:
    rows = [(1, 0.9, 4), (2, 0.2, 0), (3, 0.75, 2), (4, 0.1, 0)]
    return pd.DataFrame(
        [
            {"recording_id": rid, "label": "RADR", "max_score": m, "positive_windows": p}
            for rid, m, p in rows
        ]
    )


def meta(**overrides: object) -> ReportMeta:
    values: dict = {
        "site_name": "Pond A",
        "model_name": "AST_Rana_Draytonii",
        "model_version": "1.0",
        "latitude": 37.123456,
        "longitude": -122.654321,
        "devices": (DEVICE,),
        "date_from": date(2022, 11, 30),
        "date_to": date(2022, 12, 4),
        "checkpoint_sha256": "ab" * 32,
        "thresholds": {"RADR": 0.5},
        "decision_rule": "window score >= threshold; consecutive windows merged into events",
        "generated_at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "ranawatch_version": "0.1.0",
    }
    values.update(overrides)
    return ReportMeta(**values)
