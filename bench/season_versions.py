"""A second model version on the synthetic season of :mod:`bench.season`: version 1.1,
"retrained" on the season's reviews and run on the season again, so the dashboard's Models
page has two versions to compare. Used by ``bench/dashboard.py`` and
``scripts/screenshots.py``; never by the application.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from bench.season import FROG, LABELS, SETTINGS, _chunks
from db.activity_sums import refresh_sums
from db.models import Detection, DetectionRun, ModelVersion
from db.session import session_scope


def add_retrained_version(engine: sa.Engine, seed: int = 11) -> int:
    """Register version 1.1, "trained" on the season's reviews, and run it on every file
    version 1.0 finished: it keeps 1.0's confident events (every confirmed one), drops most
    weak ones (most rejected ones) and finds a few calls 1.0 missed. Returns its id.
    """
    rng = np.random.default_rng(seed)
    now = datetime(2026, 2, 1, tzinfo=UTC)
    training = {
        "chosen": "best",
        "data": {"clips": {FROG: 412, "Negative": 1236}, "recordings": 903, "sites": 5},
        "validation": {"average_precision": 0.947},
        "test": {"average_precision": 0.931},
    }
    with engine.begin() as conn:
        old = conn.execute(
            sa.select(ModelVersion.id).where(ModelVersion.version == "1.0")
        ).scalar_one()
        new = conn.execute(
            sa.insert(ModelVersion)
            .values(
                name="AST_Rana_Draytonii",
                version="1.1",
                checkpoint_sha256="b" * 64,
                labels=LABELS,
                settings=SETTINGS | {"training": training},
                created_at=now,
            )
            .returning(ModelVersion.id)
        ).scalar_one()
        runs = conn.execute(
            sa.select(DetectionRun.__table__).where(
                DetectionRun.model_version_id == old, DetectionRun.status == "done"
            )
        ).mappings()
        events: dict[int, list[dict]] = {}
        for row in conn.execute(
            sa.select(Detection.__table__).where(Detection.model_version_id == old)
        ).mappings():
            if row["max_score"] >= 0.62 or rng.random() < 0.1:
                events.setdefault(row["recording_id"], []).append(dict(row))
        new_runs, new_events = [], []
        for run in runs:
            kept = events.get(run["recording_id"], [])
            if rng.random() < 0.03:  # a call 1.0 missed, in a window it left free
                taken = {int(e["start_s"] // 10) for e in kept}
                free = [w for w in range(int(run["n_windows"]) - 1) if w not in taken]
                if free:
                    start_w = int(rng.choice(free))
                    score = float(rng.uniform(0.6, 0.9))
                    kept = [
                        *kept,
                        {
                            "recording_id": run["recording_id"],
                            "label": FROG,
                            "start_s": 10.0 * start_w,
                            "end_s": 10.0 * (start_w + 1),
                            "max_score": score,
                            "mean_score": score - 0.05,
                            "n_windows": 1,
                        },
                    ]
            for event in kept:
                new_events.append(
                    {k: v for k, v in event.items() if k != "id"} | {"model_version_id": new}
                )
            new_runs.append(
                {k: v for k, v in run.items() if k != "id"}
                | {
                    "model_version_id": new,
                    "prediction": "Positive" if kept else "Negative",
                    "n_events": len(kept),
                    "finished_at": now,
                }
            )
        for table, rows in ((DetectionRun, new_runs), (Detection, new_events)):
            for chunk in _chunks(rows):
                conn.execute(sa.insert(table), chunk)
    with session_scope(engine) as session:
        refresh_sums(session=session)
    return new
