"""Detection over whole recordings: windows, scores, decisions, events and Times Heard.

A recording is read in blocks, resampled once to 16 kHz (streamed, see
:mod:`core.model.resampler`), cut into windows of ``window_s`` (10 s) every ``hop_s`` seconds, and
each window goes through the original AST front end and the model, in batches under
``torch.inference_mode()`` that take windows from several files at once
(:mod:`core.model.pipeline`, :meth:`Detector.score_files`). Window ``k`` covers
``[k * hop_s, min(k * hop_s + window_s, duration)]``; windows stop at the first one that
reaches the end of the file. The last,
partial window is scored like the original's last 10-second segment file (its fbank
zero-padded to ``input_tdim`` frames); a tail shorter than one 25 ms fbank frame, which the
original could not score either, is dropped.

Per window the logits and sigmoid scores of every label are kept and a decision is made
(``argmax`` or per-label thresholds, see :class:`~core.model.card.DecisionConfig`). Positive
windows that touch or overlap merge into events per label; the recording is ``Positive``
when any window is, and Times Heard lists the event times (``"0-20, 40-60"``, ``"N/A"``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.errors import AudioError, CheckpointError, ConfigError
from core.metadata.plausibility import MAX_SAMPLERATE_HZ, MIN_SAMPLERATE_HZ
from core.model.ast import ASTModel, build_model
from core.model.card import ModelCard
from core.model.checkpoint import read_checkpoint, verify_sha256
from core.model.frontend import StageTimes, measure_stage
from core.model.pipeline import FileWork, load_windows, score_windows
from core.model.pipeline import prefetch as prefetch_items
from core.report.cells import format_times_heard as format_spans

logger = logging.getLogger(__name__)

_EPS_S = 1e-6


@dataclass(frozen=True)
class WindowScore:
    """One scored window. ``logits``/``scores`` follow the model card's label order.

    ``detected`` holds the positive labels the decision found, with their scores (more than
    one only with per-label thresholds); ``label`` is the best of them, else the negative
    label (``argmax``: the label with the highest score).
    """

    start_s: float
    end_s: float
    logits: list[float]
    scores: list[float]
    label: str
    positive: bool
    detected: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Event:
    """Consecutive or overlapping positive windows of one label."""

    start_s: float
    end_s: float
    label: str
    max_score: float
    mean_score: float
    n_windows: int


@dataclass(frozen=True)
class RecordingResult:
    """Everything the detector says about one recording."""

    path: Path
    duration_s: float
    windows: list[WindowScore]
    events: list[Event]
    prediction: str  # "Positive" / "Negative"
    times_heard: str
    model_name: str
    model_version: str
    checkpoint_sha256: str | None = None

    def times_heard_for(self, label: str) -> str:
        """Times Heard of one label only (e.g. ``"Rana catesbeiana"``)."""
        return format_times_heard([e for e in self.events if e.label == label])


def format_times_heard(events: Iterable[Event]) -> str:
    """Times Heard in the original format: ``"0-20, 40-60"`` (seconds), ``"N/A"`` when none.

    Spans are sorted by time and overlapping or touching spans (of any label) are joined;
    whole seconds print as integers, others with up to two decimals (``"20-24.97"``).
    The same formatting as the report's cells (:func:`core.report.cells.format_times_heard`).
    """
    return format_spans((event.start_s, event.end_s) for event in events)


def _detections(window: WindowScore, labels: Sequence[str] | None) -> dict[str, float]:
    if window.detected:
        return dict(window.detected)
    if not window.positive:
        return {}
    # a window rebuilt without ``detected`` (e.g. from a database row)
    if labels is not None and window.label in labels:
        return {window.label: window.scores[list(labels).index(window.label)]}
    return {window.label: max(window.scores)}


def merge_events(
    windows: Iterable[WindowScore], labels: Sequence[str] | None = None
) -> list[Event]:
    """Merge positive windows that touch or overlap into events, one series per label.

    Parameters
    ----------
    windows
        Scored windows, in any order.
    labels
        The model card's labels, to find a label's score in windows that carry no
        ``detected`` (otherwise unused).

    Returns
    -------
    list[Event]
        Sorted by start time, then label.
    """
    per_label: dict[str, list[tuple[float, float, float]]] = {}
    for window in sorted(windows, key=lambda w: w.start_s):
        for label, score in _detections(window, labels).items():
            per_label.setdefault(label, []).append((window.start_s, window.end_s, score))
    events: list[Event] = []
    for label, spans in per_label.items():
        run: list[tuple[float, float, float]] = []
        for span in spans + [(float("inf"), float("inf"), 0.0)]:
            if run and span[0] > max(s[1] for s in run) + _EPS_S:
                scores = [s[2] for s in run]
                events.append(
                    Event(
                        start_s=run[0][0],
                        end_s=max(s[1] for s in run),
                        label=label,
                        max_score=max(scores),
                        mean_score=sum(scores) / len(scores),
                        n_windows=len(run),
                    )
                )
                run = []
            run.append(span)
    return sorted(events, key=lambda e: (e.start_s, e.label))


def decide(
    scores: Sequence[float], card: ModelCard
) -> tuple[str, bool, tuple[tuple[str, float], ...]]:
    """Apply the card's decision rule to one window's sigmoid scores.

    Returns
    -------
    tuple
        ``(label, positive, detected)``: see :class:`WindowScore`.
    """
    by_label = dict(zip(card.labels, scores, strict=True))
    if card.decision.rule == "argmax":
        best = card.labels[int(np.argmax(scores))]
        positive = best in card.positive_labels
        return best, positive, ((best, by_label[best]),) if positive else ()
    hits = sorted(
        (
            (label, by_label[label])
            for label in card.positive_labels
            if by_label[label] >= card.decision.threshold_for(label)
        ),
        key=lambda item: -item[1],
    )
    return (hits[0][0] if hits else card.negative_label), bool(hits), tuple(hits)


class Detector:
    """A loaded model and its card, ready to score recordings (build once per run).

    Parameters
    ----------
    model, card
        The model and the card it was built from (labels and mel bins must agree).
    device
        Where the front end and the model run; the same code path on CPU and CUDA.
    bf16
        bf16 autocast for the forward pass (scores within about 1e-2 of float32).
    compile
        ``torch.compile`` the model: ``True`` for the default backend (inductor), or a
        backend name. The first batches are slow while it compiles.
    checkpoint_sha256
        The checkpoint file's hash, stored with the results.
    samplerate_range_hz
        Sample rates a file may declare; others are refused as damaged headers.
    """

    def __init__(
        self,
        model: ASTModel,
        card: ModelCard,
        device: torch.device,
        *,
        bf16: bool = False,
        compile: bool | str = False,
        checkpoint_sha256: str | None = None,
        samplerate_range_hz: tuple[int, int] = (MIN_SAMPLERATE_HZ, MAX_SAMPLERATE_HZ),
    ) -> None:
        cfg = model.cfg
        if (cfg.label_dim, cfg.input_fdim) != (len(card.labels), card.frontend.num_mel_bins):
            raise ConfigError(
                f"model card {card.name} {card.version} has {len(card.labels)} labels and "
                f"{card.frontend.num_mel_bins} mel bins; the model has {cfg.label_dim} "
                f"outputs and {cfg.input_fdim} bins: use the model card made for this "
                "checkpoint (ranawatch checkpoint FILE --write-card CARD.yaml writes one)"
            )
        self.model = model.to(device).eval()
        self.card = card
        self.device = device
        self.bf16 = bf16
        self.checkpoint_sha256 = checkpoint_sha256
        self.samplerate_range_hz = samplerate_range_hz
        self._run: Callable[[torch.Tensor], torch.Tensor] = self.model
        if compile:
            backend = "inductor" if compile is True else str(compile)
            self._run = torch.compile(self.model, backend=backend, dynamic=False)

    def score_file(
        self,
        path: str | Path,
        *,
        hop_s: float = 10.0,
        batch_size: int = 8,
        progress: Callable[[int, int], None] | None = None,
        prefetch: int = 2,
    ) -> RecordingResult:
        """Score every window of a recording.

        Parameters
        ----------
        path
            A WAV file (any rate, channels averaged to mono).
        hop_s
            Seconds between window starts (10 as the original; less to overlap).
        batch_size
            Windows per forward pass.
        progress
            Called as ``progress(windows_done, windows_total)`` after each batch.
        prefetch
            Chunks of windows read ahead on a background thread (0: none).

        Returns
        -------
        RecordingResult

        Raises
        ------
        AudioError
            The file cannot be read, or is shorter than one 25 ms fbank frame.
        ValueError
            ``hop_s`` <= 0 or ``batch_size`` < 1.
        """
        per_file = (lambda _index, done, total: progress(done, total)) if progress else None
        [(_, outcome)] = self.score_files(
            [path], hop_s=hop_s, batch_size=batch_size, prefetch=prefetch, progress=per_file
        )
        if isinstance(outcome, AudioError):
            raise outcome
        return outcome

    def score_files(
        self,
        paths: Iterable[str | Path],
        *,
        hop_s: float = 10.0,
        batch_size: int = 8,
        prefetch: int = 2,
        progress: Callable[[int, int, int], None] | None = None,
        times: StageTimes | None = None,
    ) -> Iterator[tuple[Path, RecordingResult | AudioError]]:
        """Score many recordings, filling each forward pass with windows of any of them.

        Parameters
        ----------
        paths
            WAV files; consumed lazily, in order.
        hop_s, batch_size
            As :meth:`score_file`.
        prefetch
            Chunks of windows (up to ``batch_size`` each) decoded ahead on a background
            thread while the model runs; bounds memory. 0 reads in this thread.
        progress
            ``progress(file_index, windows_done, windows_total)`` after each pass.
        times
            Collects seconds per stage (read, resample, fbank, model) for benchmarks.

        Yields
        ------
        tuple
            ``(path, result)`` per file in the given order, ``result`` the
            :class:`RecordingResult` or the :class:`~core.errors.AudioError` that says why
            that file could not be scored (the others go on).

        Raises
        ------
        ValueError
            ``hop_s`` <= 0 or ``batch_size`` < 1 (before any file is read).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if hop_s <= 0:
            raise ValueError(f"hop_s must be > 0, got {hop_s}")
        items = load_windows(
            paths,
            self.card.frontend,
            self.model.cfg.input_tdim,
            hop_s=hop_s,
            group=batch_size,
            device=self.device,
            times=times,
            samplerate_range_hz=self.samplerate_range_hz,
        )

        def forward(fbanks: torch.Tensor) -> torch.Tensor:
            with measure_stage(times, "model"):
                return self._forward(fbanks)

        with torch.inference_mode():  # the front end too: no autograd bookkeeping anywhere
            loaded = prefetch_items(items, prefetch)
            scored = score_windows(loaded, forward, batch_size, progress=progress)
            for work, logits in scored:
                if work.error is not None or logits is None:
                    yield work.path, work.error or AudioError(work.path, "was not scored")
                else:
                    yield work.path, self._result(work, logits)

    def _result(self, work: FileWork, all_logits: torch.Tensor) -> RecordingResult:
        assert work.info is not None
        windows = []
        for span, row in zip(work.plan, all_logits.tolist(), strict=True):
            scores = torch.sigmoid(torch.tensor(row, dtype=torch.float64)).tolist()
            label, positive, detected = decide(scores, self.card)
            windows.append(
                WindowScore(span.start_s, span.end_s, row, scores, label, positive, detected)
            )
        events = merge_events(windows, self.card.labels)
        logger.info("%s: %d windows, %d events", work.path, len(windows), len(events))
        return RecordingResult(
            path=work.path,
            duration_s=work.info.duration_s,
            windows=windows,
            events=events,
            prediction="Positive" if any(w.positive for w in windows) else "Negative",
            times_heard=format_times_heard(events),
            model_name=self.card.name,
            model_version=self.card.version,
            checkpoint_sha256=self.checkpoint_sha256,
        )

    def _forward(self, fbanks: torch.Tensor) -> torch.Tensor:
        x = fbanks.to(self.device, non_blocking=True)
        autocast = (
            torch.autocast(self.device.type, dtype=torch.bfloat16)
            if self.bf16
            else contextlib.nullcontext()
        )
        with torch.inference_mode(), autocast:
            return self._run(x).float().cpu()


def resolve_device(device: str) -> torch.device:
    """``auto`` -> cuda when present, else cpu.

    Raises
    ------
    ConfigError
        ``cuda`` was asked for but there is no usable GPU, or the name is unknown.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r}: no CUDA GPU is available here; use cpu or auto")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"device {device!r} is not a torch device (auto, cpu, cuda)") from exc


def build_detector(
    card: ModelCard,
    checkpoint: Path | str | None = None,
    *,
    device: str = "auto",
    bf16: bool = False,
    compile: bool | str = False,
    model: ASTModel | None = None,
    samplerate_range_hz: tuple[int, int] = (MIN_SAMPLERATE_HZ, MAX_SAMPLERATE_HZ),
) -> Detector:
    """Load the model of a card (from ``checkpoint``, or a ready ``model``) on a device.

    Parameters
    ----------
    card
        The model version: labels, architecture, front end, decision rule.
    checkpoint
        The ``.pth`` file; must match ``card.checkpoint_sha256`` when the card pins one.
    device
        ``auto`` (cuda when present), ``cpu`` or ``cuda``.
    bf16
        bf16 autocast for the forward pass (fast on GPUs and recent CPUs; scores then differ
        from float32 in the second or third decimal).
    compile
        ``torch.compile`` the model (``True``: inductor; or a backend name).
    model
        An already built model (tests, benchmarks); ``checkpoint`` is then ignored.
    samplerate_range_hz
        Sample rates a file may declare (``RANAWATCH_MIN/MAX_SAMPLERATE_HZ``).

    Raises
    ------
    CheckpointError
        No checkpoint and no model, or the checkpoint is unreadable or does not fit.
    ConfigError
        The device is unavailable, or the model does not match the card.
    """
    torch_device = resolve_device(device)
    sha = None
    if model is None:
        if checkpoint is None:
            raise CheckpointError(
                "no checkpoint given: pass --checkpoint PATH or set RANAWATCH_CHECKPOINT"
            )
        ckpt = read_checkpoint(checkpoint)
        verify_sha256(ckpt, card.checkpoint_sha256, card=f"model card {card.name} {card.version}")
        model = build_model(card.model, ckpt, labels=card.labels)
        sha = ckpt.sha256
    return Detector(model, card, torch_device, bf16=bf16, compile=compile, checkpoint_sha256=sha)
