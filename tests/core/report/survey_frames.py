"""A known small season for the survey tests: three sites, nights of 1-6 March 2024 (UTC).

==========  =======  ==========================================================
site        night    recordings (60 min each, 20:00 unless said) and events
==========  =======  ==========================================================
Gap Pond    1 Mar    one event at 20:10, confirmed                    (AM-1)
            2 Mar    one quiet; one at 02:00 (3 Mar) with an event at 02:10, not reviewed
            3-4 Mar  no audio (the gap)
            5 Mar    one event, rejected on review
            6 Mar    recorded but not analysed (the run failed)
Dry Creek   1-6 Mar  one each night, analysed, never a call               (AM-2)
Nowhere     -        no recordings at all
==========  =======  ==========================================================
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from core.report.meta import DETECTION_COLUMNS, WINDOW_SUMMARY_COLUMNS
from core.report.survey import SurveySite

FROG = "Rana draytonii"


def _rec(rid: int, device: str, when: datetime, temp: float, analysed: bool = True) -> dict:
    return {
        "recording_id": rid, "file_name": f"/cards/{rid}.WAV", "device_id": device,
        "recorded_at": when, "utc_offset_min": 0, "temperature_c": temp, "duration_s": 3600.0,
        "status": "done" if analysed else "failed", "analysed": analysed, "error": None,
    }  # fmt: skip


def _det(did: int, rid: int, start_s: float, verdict: str | None) -> dict:
    return dict(
        zip(DETECTION_COLUMNS,
            (did, rid, start_s, start_s + 10, FROG, 0.9, 0.8, verdict, None, None, None),
            strict=True)
    )  # fmt: skip


def _at(day: int, hour: int) -> datetime:
    return datetime(2024, 3, day, hour, tzinfo=UTC)


def gap_pond() -> SurveySite:
    recs = pd.DataFrame(
        [
            _rec(1, "AM-1", _at(1, 20), 10.0),
            _rec(2, "AM-1", _at(2, 20), 9.0),
            _rec(3, "AM-1", _at(3, 2), 7.0),
            _rec(5, "AM-1", _at(5, 20), 12.0),
            _rec(6, "AM-1", _at(6, 20), 11.0, analysed=False),
        ]
    )
    dets = pd.DataFrame(
        [_det(1, 1, 600, "confirmed"), _det(2, 3, 600, None), _det(3, 5, 1800, "rejected")]
    )
    windows = pd.DataFrame(
        [(1, FROG, 0.9, 2), (2, FROG, 0.3, 0), (3, FROG, 0.8, 1), (5, FROG, 0.7, 1)],
        columns=list(WINDOW_SUMMARY_COLUMNS),
    )
    return SurveySite("Gap Pond", recs, dets, windows, latitude=37.1, longitude=-122.3)


def dry_creek() -> SurveySite:
    recs = pd.DataFrame([_rec(10 + d, "AM-2", _at(d, 20), 8.0) for d in range(1, 7)])
    return SurveySite(
        "Dry Creek", recs, pd.DataFrame(columns=list(DETECTION_COLUMNS)),
        pd.DataFrame(columns=list(WINDOW_SUMMARY_COLUMNS)),
    )  # fmt: skip


def nowhere() -> SurveySite:
    empty = pd.DataFrame(columns=[*_rec(0, "", _at(1, 1), 0.0)])
    return SurveySite(
        "Nowhere", empty, pd.DataFrame(columns=list(DETECTION_COLUMNS)),
        pd.DataFrame(columns=list(WINDOW_SUMMARY_COLUMNS)),
    )  # fmt: skip


def season() -> list[SurveySite]:
    return [gap_pond(), dry_creek(), nowhere()]
