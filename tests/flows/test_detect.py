"""The detect flow: exactly once, whatever kills it, however many workers run it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from core.errors import ConfigError
from core.model.card import load_model_card
from core.model.detector import Detector
from db import queue
from db.models import (
    DetectionRun,
    FlowStatus,
    ModelVersion,
    Recording,
    RecordingStatus,
    RunLog,
    WindowScore,
)
from db.session import get_engine, session_scope
from flows.detect import detect_calls
from flows.ingest import ingest_recordings
from tests.flows.helpers import (
    TinyModel,
    copy_sqlite,
    snapshot,
    sqlite_url,
    write_broken_recordings,
    write_good_recordings,
    write_too_short,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")

GOOD = 4  # 12 s recordings: two windows each (0-10 s, 10-12 s)


@dataclass(frozen=True)
class Ingested:
    """A folder ingested into a SQLite database, and that database after one clean detect."""

    audio: Path
    template: Path
    baseline: dict


def _detect(url: str, model: TinyModel, **kwargs) -> dict[str, int]:
    options = {"checkpoint": str(model.checkpoint), "model_card": str(model.card)}
    return detect_calls(database_url=url, device="cpu", **(options | kwargs))


@pytest.fixture(scope="module")
def ingested(
    tmp_path_factory: pytest.TempPathFactory, prefect_harness: str, tiny_model_files: TinyModel
) -> Ingested:
    from db.migrate import upgrade

    root = tmp_path_factory.mktemp("detect")
    audio = root / "audio"
    write_good_recordings(audio / "pond", n=GOOD)
    write_broken_recordings(audio / "pond" / "bad")
    write_too_short(audio / "pond" / "bad")
    template = root / "template.db"
    upgrade(sqlite_url(template))
    ingest_recordings(roots=[str(audio)], database_url=sqlite_url(template), settle_s=0)
    clean = copy_sqlite(template, root / "clean.db")
    summary = _detect(sqlite_url(clean), tiny_model_files, claim_size=2)
    assert summary == {
        "queued": GOOD + 1,
        "done": GOOD,
        "positive": summary["positive"],
        "failed": 1,
        "lost_claims": 0,
    }
    return Ingested(audio=audio, template=template, baseline=snapshot(sqlite_url(clean)))


def _fresh(ingested: Ingested, tmp_path: Path) -> str:
    return sqlite_url(copy_sqlite(ingested.template, tmp_path / "ranawatch.db"))


def test_every_file_ends_done_or_failed_with_a_reason(
    ingested: Ingested, tiny_model_files: TinyModel, tmp_path: Path
) -> None:
    url = _fresh(ingested, tmp_path)
    _detect(url, tiny_model_files)
    with session_scope(get_engine(url)) as session:
        recordings = session.exec(select(Recording)).all()
        windows = session.exec(select(WindowScore)).all()
        (version,) = session.exec(select(ModelVersion)).all()
        runs = session.exec(select(RunLog).where(RunLog.flow == "detect-calls")).all()
    assert len(recordings) == GOOD + 5
    for recording in recordings:
        assert recording.status in (RecordingStatus.DONE, RecordingStatus.FAILED), recording.path
        assert (recording.status is RecordingStatus.FAILED) == bool(recording.error)
    short = next(r for r in recordings if r.path.endswith("blip.wav"))
    assert short.status is RecordingStatus.FAILED and "shorter than one" in short.error
    assert sorted({(w.start_s, w.end_s) for w in windows}) == [(0.0, 10.0), (10.0, 12.0)]
    assert len(windows) == 2 * GOOD
    digest = hashlib.sha256(tiny_model_files.checkpoint.read_bytes()).hexdigest()
    assert (version.name, version.version, version.checkpoint_sha256) == (
        "Tiny_Test_Model",
        "0.0-test",
        digest,
    )
    assert version.labels == ["Rana draytonii", "Negative"] and version.settings["hop_s"] == 10.0
    assert [(r.status, r.counts["done"]) for r in runs] == [(FlowStatus.COMPLETED, GOOD)]
    assert snapshot(url) == ingested.baseline


def test_running_again_changes_nothing(
    ingested: Ingested, tiny_model_files: TinyModel, tmp_path: Path
) -> None:
    url = _fresh(ingested, tmp_path)
    _detect(url, tiny_model_files, limit=2)
    assert _detect(url, tiny_model_files)["done"] == GOOD - 2
    again = _detect(url, tiny_model_files)
    assert (again["queued"], again["done"], again["failed"]) == (0, 0, 0)
    assert snapshot(url) == ingested.baseline


def test_an_exception_between_steps_then_a_rerun(
    ingested: Ingested, tiny_model_files: TinyModel, tmp_path: Path, monkeypatch
) -> None:
    url = _fresh(ingested, tmp_path)
    real_forward = Detector._forward
    calls = []

    def forward_then_break(self, fbanks):
        calls.append(len(fbanks))
        if len(calls) == 2:  # the forward pass fails: never retried, the run stops
            raise RuntimeError("injected: CUDA error: an illegal memory access")
        return real_forward(self, fbanks)

    monkeypatch.setattr(Detector, "_forward", forward_then_break)
    with pytest.raises(RuntimeError, match="injected"):
        # one recording (two windows) per forward pass
        _detect(url, tiny_model_files, claim_size=2, window_batch_size=2)
    monkeypatch.setattr(Detector, "_forward", real_forward)
    with session_scope(get_engine(url)) as session:
        statuses = session.exec(select(DetectionRun.status)).all()
        (failed_run,) = session.exec(select(RunLog).where(RunLog.status == FlowStatus.FAILED))
    # The unfinished claims went back to the queue; the run log says what happened.
    assert RecordingStatus.PROCESSING not in statuses
    assert statuses.count(RecordingStatus.DONE) == 1
    assert "injected" in failed_run.message
    _detect(url, tiny_model_files)
    assert snapshot(url) == ingested.baseline


KILLER = r"""
import json, os, signal, sys
from db import queue

mode, at, url, checkpoint, card = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
calls = {"claim": 0, "touch": 0, "save": 0}
real = {"claim": queue.claim_runs, "touch": queue.touch_claim, "save": queue.save_results}


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def claim_runs(**kw):
    calls["claim"] += 1
    if mode == "next-batch" and calls["claim"] == at:
        die()
    return real["claim"](**kw)


def touch_claim(**kw):
    calls["touch"] += 1
    if mode == "claimed" and calls["touch"] == at:
        die()
    return real["touch"](**kw)


def save_results(**kw):
    calls["save"] += 1
    saved = real["save"](**kw)
    if mode == "mid-write" and calls["save"] == at:
        kw["session"].flush()  # rows written inside the open transaction, not committed
        die()
    return saved


queue.claim_runs, queue.touch_claim, queue.save_results = claim_runs, touch_claim, save_results
from flows.detect import detect_calls

summary = detect_calls(
    database_url=url, checkpoint=checkpoint, model_card=card, device="cpu", claim_size=2
)
print("SUMMARY " + json.dumps(summary))
"""


def _run_detect_process(api_url: str, home: Path, *args: str) -> subprocess.Popen[str]:
    env = os.environ | {
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-c", KILLER, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "at"),
    [
        ("claimed", 1),  # claimed, nothing scored yet
        ("mid-write", 2),  # results of the 2nd recording half written
        ("next-batch", 2),  # the first batch committed, the next not yet claimed
    ],
)
def test_sigkill_at_any_point_then_a_rerun(
    ingested: Ingested,
    tiny_model_files: TinyModel,
    prefect_harness: str,
    tmp_path: Path,
    mode: str,
    at: int,
) -> None:
    url = _fresh(ingested, tmp_path)
    proc = _run_detect_process(
        prefect_harness,
        tmp_path / "prefect",
        mode,
        str(at),
        url,
        str(tiny_model_files.checkpoint),
        str(tiny_model_files.card),
    )
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == -9, output
    with session_scope(get_engine(url)) as session:
        done = session.exec(
            select(DetectionRun.recording_id).where(DetectionRun.status == RecordingStatus.DONE)
        ).all()
        scored = session.exec(select(WindowScore.recording_id).distinct()).all()
    # Killed mid-way: only whole results are stored.
    assert sorted(done) == sorted(scored)
    assert len(done) == {"claimed": 0, "mid-write": 1, "next-batch": 2}[mode]
    # The next run takes over the dead process's claims at once (same machine).
    summary = _detect(url, tiny_model_files)
    assert summary["done"] == GOOD - len(done)
    assert snapshot(url) == ingested.baseline


def test_interrupted_too_often_is_failed_with_the_reason(
    ingested: Ingested, tiny_model_files: TinyModel, tmp_path: Path
) -> None:
    url = _fresh(ingested, tmp_path)
    _detect(url, tiny_model_files, limit=0)  # registers the model version, queues everything
    engine = get_engine(url)
    later = datetime.now(UTC) + timedelta(hours=1)
    for _ in range(3):  # three workers on another machine died on every file
        with session_scope(engine, immediate=True) as session:
            queue.claim_runs(
                session=session, model_version_id=1, worker="far:1:x", limit=99, stale_before=later
            )
    summary = _detect(url, tiny_model_files, claim_timeout_s=0, max_attempts=3)
    assert summary["failed"] == GOOD + 1 and summary["done"] == 0
    with session_scope(engine) as session:
        errors = session.exec(select(DetectionRun.error)).all()
    assert all("interrupted 3 times" in e for e in errors)


def test_a_new_model_version_scores_again_beside_the_old(
    ingested: Ingested, tiny_model_files: TinyModel, tmp_path: Path
) -> None:
    url = _fresh(ingested, tmp_path)
    _detect(url, tiny_model_files)
    card = load_model_card(tiny_model_files.card).model_copy(update={"version": "0.1-test"})
    new_card = card.save(tmp_path / "tiny-0.1.yaml")
    summary = _detect(url, tiny_model_files, model_card=str(new_card))
    assert (summary["queued"], summary["done"]) == (GOOD + 1, GOOD)
    with session_scope(get_engine(url)) as session:
        per_version = dict(
            session.exec(
                select(ModelVersion.version, sa.func.count(WindowScore.id))
                .join(WindowScore, WindowScore.model_version_id == ModelVersion.id)
                .group_by(ModelVersion.version)
            ).all()
        )
    assert per_version == {"0.0-test": 2 * GOOD, "0.1-test": 2 * GOOD}
    # Same version, other settings: refused rather than mixed into the stored results.
    with pytest.raises(ConfigError, match="give the model card a new version"):
        _detect(url, tiny_model_files, hop_s=5.0)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_on_postgres_score_each_recording_once(
    ingested: Ingested,
    tiny_model_files: TinyModel,
    prefect_harness: str,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    more = write_good_recordings(tmp_path / "more", n=4, seconds=30.0)
    ingest_recordings(
        roots=[str(ingested.audio), str(tmp_path / "more")], database_url=postgres_url, settle_s=0
    )
    args = ["none", "0", postgres_url, str(tiny_model_files.checkpoint), str(tiny_model_files.card)]
    workers = [_run_detect_process(prefect_harness, tmp_path / f"p{i}", *args) for i in (1, 2)]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    summaries = [json.loads(o.split("SUMMARY ", 1)[1]) for o in outputs]
    readable = GOOD + len(more) + 1
    assert sum(s["done"] + s["failed"] for s in summaries) == readable, summaries
    assert [s["lost_claims"] for s in summaries] == [0, 0]
    with session_scope(get_engine(postgres_url)) as session:
        runs = session.exec(select(DetectionRun.recording_id, DetectionRun.status)).all()
        windows = session.exec(
            select(WindowScore.recording_id, sa.func.count()).group_by(WindowScore.recording_id)
        ).all()
    assert len(runs) == len({r for r, _ in runs}) == readable
    assert sorted(s for _, s in runs).count(RecordingStatus.DONE) == readable - 1
    assert sorted(n for _, n in windows) == [2] * GOOD + [3] * len(more)


@pytest.mark.realdata
def test_real_recordings_all_end_done_or_failed_with_a_reason(
    realaudio_dir: Path,
    manifest: dict[str, dict[str, str]],
    tiny_model_files: TinyModel,
    database_url: str,
) -> None:
    ingested = ingest_recordings(roots=[str(realaudio_dir)], database_url=database_url, settle_s=0)
    wavs = [name for name in manifest if name.lower().endswith(".wav")]
    assert ingested["found"] == len(wavs)
    _detect(database_url, tiny_model_files)
    with session_scope(get_engine(database_url)) as session:
        rows = {Path(r.path).name: r for r in session.exec(select(Recording)).all()}
    assert set(rows) == set(wavs)  # every file, once
    for name, row in rows.items():
        expected = manifest[name]
        assert row.status in (RecordingStatus.DONE, RecordingStatus.FAILED), name
        if row.status is RecordingStatus.FAILED:
            assert row.error and name in row.error, name
        decodable = expected["bits"] in ("8", "16", "24", "32", "64")  # PCM/float, not ADPCM
        if decodable and float(expected["duration_s"] or 0) > 0:
            assert row.readable and row.samplerate_hz == int(expected["sample_rate"]), name
            assert row.channels == int(expected["channels"]), name
        if expected["metadata_kind"].startswith("audiomoth"):
            assert row.device_id is not None and row.recorded_at is not None, name
    failed = {name for name, r in rows.items() if r.status is RecordingStatus.FAILED}
    assert len(failed) <= 4, failed  # empty, 0-frame, ADPCM, and at most one too short
