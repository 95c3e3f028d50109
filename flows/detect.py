"""Flow ``detect-calls``: score every recording the current model version has not scored.

The model is loaded once per run. Recordings are claimed from the queue in batches (on
PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so several workers never take the same file; on
SQLite in a single-writer transaction), scored, and each one's window scores, events and
``done`` mark are written in one transaction, so a crash never leaves half a result. Files
that cannot be read are marked ``failed`` with the reason. A run that dies leaves its claims
behind; they are taken over when the claiming process is gone (same machine) or when the
claim is older than ``claim_timeout_s`` (any machine). Re-running never duplicates; a new
model version scores everything again and keeps the old results beside the new.

Run it directly: ``python -m flows.detect`` (model, device and database from the settings);
``ranawatch detect`` takes options (``cli/detect.py``).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NONE

from core.errors import AudioError
from core.model.card import ModelCard, load_model_card
from core.model.detector import build_detector
from core.model.events import RecordingResult
from core.model.scoring import Detector
from core.settings import get_settings
from db import model_versions, queue
from db.session import get_engine, session_scope
from flows.detect_queue import (
    claim_recordings,
    count_waiting,
    mark_failed,
    queue_recordings,
    recover_orphaned_claims,
    release_claims,
    renew_claim,
    save_results,
    worker_name,
)
from flows.runlog import run_log
from flows.tasks import db_task, transient_only

FLOW_NAME = "detect-calls"


@task(
    name="load-model",
    retries=1,
    retry_delay_seconds=5,
    cache_policy=NONE,
    retry_condition_fn=transient_only,
)
def load_model(card: ModelCard, checkpoint: str | None, device: str, bf16: bool) -> Detector:
    """Read the checkpoint and build the model on its device (once per run)."""
    settings = get_settings()
    rates = (settings.min_samplerate_hz, settings.max_samplerate_hz)
    return build_detector(card, checkpoint, device=device, bf16=bf16, samplerate_range_hz=rates)


@db_task(name="register-model-version")
def register_model_version(database_url: str, detector: Detector, hop_s: float) -> int:
    """The id of this model version (name, version, checkpoint hash), registered when new.

    Raises
    ------
    ConfigError
        The version is stored with other settings (labels, front end, decision, hop):
        results under one version must come from one configuration.
    """
    card = detector.card
    with session_scope(get_engine(database_url)) as session:
        version = model_versions.register_model_version(
            session=session,
            card=card,
            checkpoint_sha256=detector.checkpoint_sha256 or card.checkpoint_sha256 or "unknown",
            hop_s=hop_s,
        )
    assert version.id is not None
    return version.id


@flow(name=FLOW_NAME)
def detect_calls(
    claim_size: int = 8,
    limit: int | None = None,
    checkpoint: str | None = None,
    model_card: str | None = None,
    device: str | None = None,
    bf16: bool | None = None,
    hop_s: float | None = None,
    window_batch_size: int | None = None,
    database_url: str | None = None,
    claim_timeout_s: float = 3600.0,
    max_attempts: int = 3,
) -> dict[str, int]:
    """Score the recordings waiting for the current model version.

    Parameters
    ----------
    claim_size
        Recordings claimed at a time; their windows share forward passes.
    limit
        Stop after this many recordings (default: until none is left).
    checkpoint, model_card, device, bf16, hop_s, window_batch_size
        Model and inference settings; defaults from ``RANAWATCH_CHECKPOINT``,
        ``RANAWATCH_MODEL_CARD``, ``RANAWATCH_DEVICE``, ``RANAWATCH_BF16``,
        ``RANAWATCH_HOP_S`` and ``RANAWATCH_BATCH_SIZE`` (``window_batch_size``: windows per
        forward pass, taken from any of the claimed recordings).
    database_url
        Default: the configured database.
    claim_timeout_s
        A claim older than this (seconds) counts as abandoned by a crashed worker on another
        machine and is taken over. Longer than scoring one recording takes.
    max_attempts
        A recording whose scoring was interrupted this many times (e.g. the worker ran out of
        memory on it each time) is marked failed instead of being tried again.

    Returns
    -------
    dict[str, int]
        Counts: ``queued`` (newly), ``done``, ``positive``, ``failed``, ``lost_claims``.

    Raises
    ------
    ConfigError, CheckpointError
        No usable model card, checkpoint or device, or a database not at the current schema.
    """
    settings = get_settings()
    logger = get_run_logger()
    url = database_url or settings.resolved_database_url
    hop = hop_s if hop_s is not None else settings.hop_s
    windows_per_pass = window_batch_size or settings.batch_size
    worker = worker_name()
    rows: list[dict[str, Any]] = []
    held: list[queue.Claim] = []

    def release_held() -> None:
        if held:
            release_claims(url, held, worker)

    with run_log(url, FLOW_NAME, on_error=release_held) as run:
        counts = run.counts
        card = load_model_card(model_card or settings.model_card)
        ckpt = checkpoint or (str(settings.checkpoint) if settings.checkpoint else None)
        detector = load_model(
            card, ckpt, device or settings.device, settings.bf16 if bf16 is None else bf16
        )
        model_version_id = register_model_version(url, detector, hop)
        counts["queued"] = queue_recordings(url, model_version_id)
        recovered = recover_orphaned_claims(url, model_version_id)
        if recovered:
            logger.info("took back %d recordings from detect runs that died", recovered)
        waiting = count_waiting(url, model_version_id)
        logger.info(
            "model %s %s on %s, worker %s: %d recordings waiting",
            card.name,
            card.version,
            detector.device,
            worker,
            waiting,
        )
        progress = create_progress_artifact(
            0.0, description=f"Recordings scored by {card.name} {card.version} in this run"
        )
        processed = 0
        while limit is None or processed < limit:
            want = claim_size if limit is None else min(claim_size, limit - processed)
            held = claim_recordings(url, model_version_id, worker, want, claim_timeout_s)
            if not held:
                break
            processed += len(held)
            counts.update(
                _process(url, detector, held, worker, hop, windows_per_pass, max_attempts, rows)
            )
            update_progress_artifact(progress, min(100.0, 100.0 * processed / max(waiting, 1)))
            logger.info(
                "%d of %d recordings done (%d could not be scored)",
                processed,
                waiting,
                counts["failed"],
            )
        summary = {key: counts.get(key, 0) for key in _COUNT_KEYS}
        run.finish(summary, message=f"{card.name} {card.version}: {summary}")
    _publish(card, summary, rows)
    return summary


_COUNT_KEYS = ("queued", "done", "positive", "failed", "lost_claims")


def _process(
    url: str,
    detector: Detector,
    held: list[queue.Claim],
    worker: str,
    hop_s: float,
    window_batch_size: int | None,
    max_attempts: int,
    rows: list[dict[str, Any]],
) -> list[str]:
    """Score claimed recordings together and store each outcome in its own transaction.

    Claims leave ``held`` as their outcome is stored, so what is left there when this raises
    is handed back by the caller. Returns the counts the claims add to.
    """
    logger = get_run_logger()
    counts: list[str] = []
    live: list[queue.Claim] = []
    for claim in list(held):
        if claim.attempts > max_attempts:
            reason = (
                f"{claim.path}: scoring was interrupted {claim.attempts - 1} times (the worker "
                "crashed, was killed or ran out of memory on this file); not tried again"
            )
            mark_failed(url, claim, worker, reason)
            rows.append({"file": claim.path, "prediction": "failed", "times_heard": reason})
            counts.append("failed")
            held.remove(claim)
        elif not renew_claim(url, claim, worker):
            counts.append("lost_claims")
            held.remove(claim)
        else:
            live.append(claim)
    # no retries around the forward pass: an exception here stops the run
    outcomes = detector.score_files(
        [claim.path for claim in live], hop_s=hop_s, batch_size=window_batch_size
    )
    for claim, (_, result) in zip(live, outcomes, strict=True):
        counts.extend(_store(url, detector, claim, worker, result, rows))
        held.remove(claim)
        logger.debug("%s stored", claim.path)
    return counts


def _store(
    url: str,
    detector: Detector,
    claim: queue.Claim,
    worker: str,
    result: RecordingResult | AudioError,
    rows: list[dict[str, Any]],
) -> list[str]:
    logger = get_run_logger()
    if isinstance(result, AudioError):
        logger.warning("cannot score %s", result)
        mark_failed(url, claim, worker, str(result))
        rows.append({"file": claim.path, "prediction": "failed", "times_heard": str(result)})
        return ["failed"]
    if not save_results(url, claim, worker, result, list(detector.card.labels)):
        logger.warning("%s was taken over by another worker; its result was not saved", claim.path)
        return ["lost_claims"]
    rows.append(
        {"file": claim.path, "prediction": result.prediction, "times_heard": result.times_heard}
    )
    return ["done", "positive"] if result.prediction == "Positive" else ["done"]


def _publish(card: ModelCard, summary: dict[str, int], rows: list[dict[str, Any]]) -> None:
    lines = [
        f"# Detection with {card.name} {card.version}",
        "",
        "| | recordings |",
        "|---|---:|",
        *(f"| {key.replace('_', ' ')} | {value} |" for key, value in summary.items()),
    ]
    create_markdown_artifact(
        "\n".join(lines), key="detect-summary", description="Detect run counts"
    )
    if rows:
        create_table_artifact(
            rows[:1000], key="detect-results", description="Per-recording results"
        )


if __name__ == "__main__":
    # Model, device and database from the settings; `ranawatch detect` takes options.
    detect_calls()
