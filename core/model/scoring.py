"""Scoring recordings: :class:`Detector`, a loaded model and its card.

Build one with :func:`core.model.detector.build_detector`.

A recording is read in blocks, resampled once to 16 kHz (streamed, see
:mod:`core.model.resampler`), cut into windows of ``window_s`` (10 s) every ``hop_s``
seconds, and each window goes through the original AST front end and the model, in batches
under ``torch.inference_mode()`` that take windows from several files at once
(:mod:`core.model.pipeline`, :meth:`Detector.score_files`). Window ``k`` covers
``[k * hop_s, min(k * hop_s + window_s, duration)]``; windows stop at the first one that
reaches the end of the file. The last, partial window is scored like the original's last
10-second segment file (its fbank zero-padded to ``input_tdim`` frames); a tail shorter
than one 25 ms fbank frame, which the original could not score either, is dropped.
Decisions, events and Times Heard: :mod:`core.model.events`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import torch

from core.errors import AudioError, ConfigError
from core.metadata.plausibility import MAX_SAMPLERATE_HZ, MIN_SAMPLERATE_HZ
from core.model.ast import ASTModel
from core.model.card import ModelCard
from core.model.events import (
    RecordingResult,
    WindowScore,
    decide,
    format_times_heard,
    merge_events,
)
from core.model.frontend import StageTimes, measure_stage
from core.model.pipeline import FileWork, load_windows, score_windows
from core.model.pipeline import prefetch as prefetch_items

logger = logging.getLogger(__name__)

CPU_BATCH_SIZE = 4  # windows per forward pass (bench/README.md: the batch and thread sweep)
GPU_BATCH_SIZE = 64


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

    @property
    def default_batch_size(self) -> int:
        """Windows per forward pass when none is asked for: 4 on a CPU, 64 on a GPU.

        On a CPU a base384 window is already a large matrix product: every batch size from
        1 to 16 ran at 88-108% of the matmul rate, and memory grows with the batch (1.4 GB
        at 1, 2.1 GB at 16). A GPU needs many windows per pass to be kept busy.
        """
        return CPU_BATCH_SIZE if self.device.type == "cpu" else GPU_BATCH_SIZE

    def score_file(
        self,
        path: str | Path,
        *,
        hop_s: float = 10.0,
        batch_size: int | None = None,
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
            Windows per forward pass (default :attr:`default_batch_size`).
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
        batch_size: int | None = None,
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
        batch_size = self.default_batch_size if batch_size is None else batch_size
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
