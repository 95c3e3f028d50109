"""Windows of many recordings into full forward passes: the detector's inference pipeline.

Each file is decoded once and resampled once (streamed, :func:`~core.model.frontend.
window_waveforms`), and the fbanks of its windows are computed in batched calls
(:func:`~core.model.frontend.batch_fbank`, up to ``batch_size`` windows each). A prefetching
thread does all that for the next files while the model runs (:func:`prefetch`; torch
releases the GIL in both), and :func:`score_windows` fills every forward pass with
``batch_size`` windows whatever file they come from, so thousands of 60-second recordings
keep the model as busy as one long one. Memory stays bounded: the thread runs at most
``depth`` items ahead, and one file's samples are kept only for the windows still to come.

A file that cannot be read is an outcome (its :class:`FileWork` carries the error), never a
reason to stop the others; anything else raised on the thread is raised in the caller.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import torch

from core.audio.io import AudioInfo, read_info
from core.errors import AudioError
from core.metadata.plausibility import MAX_SAMPLERATE_HZ, MIN_SAMPLERATE_HZ, check_samplerate
from core.model.card import FrontendConfig
from core.model.frontend import (
    StageTimes,
    WindowSpan,
    batch_fbank,
    measure_stage,
    plan_windows,
    window_waveforms,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class FileWork:
    """One recording as the loader saw it: its windows, or why it cannot be scored."""

    index: int
    path: Path
    info: AudioInfo | None = None
    plan: list[WindowSpan] = field(default_factory=list)
    error: AudioError | None = None


@dataclass(frozen=True)
class WindowChunk:
    """Consecutive windows ``first ..`` of file ``index`` (``total`` windows in the file)."""

    index: int
    first: int
    total: int
    fbanks: torch.Tensor  # [n, frames, mel bins]


def plan_file(
    path: Path,
    cfg: FrontendConfig,
    hop_s: float,
    samplerate_range_hz: tuple[int, int] = (MIN_SAMPLERATE_HZ, MAX_SAMPLERATE_HZ),
) -> tuple[AudioInfo, list[WindowSpan]]:
    """Read a header, check its sample rate and place the windows.

    Raises
    ------
    AudioError
        Unreadable, a sample rate outside ``samplerate_range_hz`` (a damaged header: 12 Hz
        would be upsampled 1,333 times), or shorter than one fbank frame.
    """
    info = read_info(path)
    low, high = samplerate_range_hz
    check_samplerate(path, info.samplerate_hz, min_hz=low, max_hz=high)
    rate = cfg.samplerate_hz
    n_samples = -(-info.frames * rate // info.samplerate_hz)  # the resampler's length
    plan = plan_windows(info.duration_s, n_samples, cfg, hop_s)
    if not plan:
        raise AudioError(
            path,
            f"only {info.duration_s * 1000:.1f} ms of audio, shorter than one "
            f"{cfg.frame_length_ms:g} ms analysis frame",
            "nothing to score; check the recorder",
        )
    return info, plan


def load_windows(
    paths: Iterable[str | Path],
    cfg: FrontendConfig,
    target_frames: int,
    *,
    hop_s: float,
    group: int,
    device: torch.device,
    times: StageTimes | None = None,
    samplerate_range_hz: tuple[int, int] = (MIN_SAMPLERATE_HZ, MAX_SAMPLERATE_HZ),
) -> Iterator[WindowChunk | FileWork]:
    """Per file: its windows' fbanks in chunks of up to ``group``, then its :class:`FileWork`."""
    for index, raw in enumerate(paths):
        path = Path(raw)
        try:
            info, plan = plan_file(path, cfg, hop_s, samplerate_range_hz)
            waves: list[torch.Tensor] = []
            first = 0
            for k, wave in enumerate(window_waveforms(info, plan, cfg, device=device, times=times)):
                waves.append(wave)
                if len(waves) == group or k == len(plan) - 1:
                    with measure_stage(times, "fbank"):
                        fbanks = _fbanks(waves, cfg, target_frames)
                    yield WindowChunk(index, first, len(plan), fbanks)
                    first, waves = first + len(waves), []
            yield FileWork(index, path, info, plan)
        except AudioError as exc:
            yield FileWork(index, path, error=exc)
        except OSError as exc:  # e.g. permission denied between ingest and detection
            yield FileWork(index, path, error=AudioError(path, f"cannot be read: {exc}"))


def _fbanks(waves: list[torch.Tensor], cfg: FrontendConfig, target_frames: int) -> torch.Tensor:
    # windows of one length in one call: every full window, then a shorter last one
    out: list[torch.Tensor] = []
    start = 0
    while start < len(waves):
        stop = start
        while stop < len(waves) and waves[stop].shape[0] == waves[start].shape[0]:
            stop += 1
        out.append(batch_fbank(torch.stack(waves[start:stop]), cfg, target_frames))
        start = stop
    return torch.cat(out) if len(out) > 1 else out[0]


def score_windows(
    items: Iterable[WindowChunk | FileWork],
    forward: Callable[[torch.Tensor], torch.Tensor],
    batch_size: int,
    *,
    progress: Callable[[int, int, int], None] | None = None,
) -> Iterator[tuple[FileWork, torch.Tensor | None]]:
    """Run ``forward`` on full batches of windows from any files; yield each file when done.

    Parameters
    ----------
    items
        What :func:`load_windows` yields (possibly through :func:`prefetch`).
    forward
        ``[n, frames, mel bins]`` fbanks -> ``[n, labels]`` logits on the CPU.
    batch_size
        Windows per forward pass (the last pass may be smaller).
    progress
        Called as ``progress(file_index, windows_done, windows_total)`` after each pass.

    Yields
    ------
    tuple
        ``(work, logits)`` per file in the order given: ``logits`` ``[windows, labels]``, or
        ``None`` when ``work.error`` says why the file was not scored.
    """
    pending: list[tuple[int, int, torch.Tensor]] = []  # (file, first window, fbanks)
    scored: dict[int, list[torch.Tensor]] = {}
    loaded: dict[int, FileWork] = {}
    totals: dict[int, int] = {}
    n_pending = 0

    def run_batch() -> None:
        nonlocal pending, n_pending
        take, rest, room = [], [], batch_size
        for index, first, fbanks in pending:
            if room >= len(fbanks):
                take.append((index, first, fbanks))
                room -= len(fbanks)
            elif room > 0:
                take.append((index, first, fbanks[:room]))
                rest.append((index, first + room, fbanks[room:]))
                room = 0
            else:
                rest.append((index, first, fbanks))
        logits = forward(torch.cat([f for _, _, f in take]))
        done = 0
        for index, _, fbanks in take:
            scored.setdefault(index, []).append(logits[done : done + len(fbanks)])
            done += len(fbanks)
            if progress:
                progress(index, sum(len(x) for x in scored[index]), totals[index])
        pending, n_pending = rest, n_pending - done

    next_out = 0

    def ready() -> Iterator[tuple[FileWork, torch.Tensor | None]]:
        nonlocal next_out
        while next_out in loaded:  # in the order given
            work = loaded[next_out]
            if work.error is not None:
                scored.pop(next_out, None)
            elif sum(len(x) for x in scored.get(next_out, [])) < len(work.plan):
                return
            del loaded[next_out]
            logits = None if work.error is not None else torch.cat(scored.pop(next_out))
            next_out += 1
            yield work, logits

    for item in items:
        if isinstance(item, WindowChunk):
            totals[item.index] = item.total
            pending.append((item.index, item.first, item.fbanks))
            n_pending += len(item.fbanks)
            while n_pending >= batch_size:
                run_batch()
                yield from ready()
        else:
            if item.error is not None:  # drop what was read of it before it failed
                n_pending -= sum(len(f) for i, _, f in pending if i == item.index)
                pending = [entry for entry in pending if entry[0] != item.index]
            loaded[item.index] = item
            yield from ready()
    while n_pending:
        run_batch()
    yield from ready()


_END = object()


@dataclass(frozen=True)
class _Raised:
    exc: BaseException


def prefetch(items: Iterator[T], depth: int) -> Iterator[T]:
    """Consume ``items`` on a background thread, at most ``depth`` ahead (0: no thread).

    The thread runs under ``torch.inference_mode`` (a thread-local mode). An exception
    raised there is raised here; closing this iterator stops the thread.
    """
    if depth <= 0:
        yield from items
        return
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            with torch.inference_mode():
                for item in items:
                    if not put(item):
                        return
            put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Raised(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=work, name="ranawatch-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
