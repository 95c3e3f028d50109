"""The AST front end: Kaldi fbank of 16 kHz windows, pad/crop, normalise; window planning.

Per window, exactly the recipe of the original training and inference code
(YuanGongND/ast ``src/dataloader.py``): the waveform's mean is removed, then
``torchaudio.compliance.kaldi.fbank(htk_compat=True, use_energy=False,
window_type='hanning', num_mel_bins=128, dither=0.0, frame_shift=10)``, zero-padded or cut
to ``input_tdim`` frames, and normalised as ``(fbank - mean) / (2 * std)``.

:func:`batch_fbank` computes that for many windows in one call (torchaudio's fbank takes one
waveform at a time): the same operations in the same order on a ``[batch, samples]`` tensor,
so the result equals the per-window recipe to float32 rounding, on any device.
:func:`plan_windows` places the analysis windows and :func:`window_waveforms` streams a file
(read in blocks, averaged to mono, resampled once, see :mod:`core.model.resampler`) into the
samples of each window, keeping only those of windows still to come.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch
import torchaudio

from core.audio.io import AudioInfo, iter_blocks
from core.errors import AudioError
from core.model.card import FrontendConfig
from core.model.resampler import StreamingResampler, check_kernel

logger = logging.getLogger(__name__)

_READ_BLOCK_S = 10.0  # seconds of input decoded per read
_PREEMPHASIS = 0.97  # Kaldi's default, as torchaudio's fbank
_LOW_FREQ_HZ, _HIGH_FREQ_HZ = 20.0, 0.0  # fbank defaults (0: Nyquist)
_EPS = torch.finfo(torch.float32).eps


@dataclass
class StageTimes:
    """Seconds spent per stage (``read``, ``resample``, ``fbank``, ``model``), thread-safe.

    Stages that run on the prefetching thread overlap the model's; their sum can pass the
    wall time. Benchmarks pass one to see where the time goes; nothing else needs it.
    """

    seconds: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        """Add the time spent in the ``with`` block to ``stage``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start


@contextmanager
def measure_stage(times: StageTimes | None, stage: str) -> Iterator[None]:
    """``times.measure(stage)``, or nothing when ``times`` is ``None``."""
    if times is None:
        yield
    else:
        with times.measure(stage):
            yield


def frame_samples(cfg: FrontendConfig) -> int:
    """Samples in one fbank frame (400 at 16 kHz and 25 ms): shorter audio gives no frame."""
    return int(cfg.samplerate_hz * cfg.frame_length_ms * 0.001)


def _frame_shift(cfg: FrontendConfig) -> int:
    return int(cfg.samplerate_hz * cfg.frame_shift_ms * 0.001)


@lru_cache(maxsize=16)
def _mel_matrix(num_mel_bins: int, padded: int, samplerate_hz: int, device: str) -> torch.Tensor:
    """Kaldi's mel filters, ``[padded // 2 + 1, num_mel_bins]`` (last FFT bin unused)."""
    banks, _ = torchaudio.compliance.kaldi.get_mel_banks(
        num_mel_bins, padded, float(samplerate_hz), _LOW_FREQ_HZ, _HIGH_FREQ_HZ, 100.0, -500.0, 1.0
    )
    return torch.nn.functional.pad(banks, (0, 1)).T.contiguous().to(device)


def batch_fbank(waveforms: torch.Tensor, cfg: FrontendConfig, target_frames: int) -> torch.Tensor:
    """Normalised log-mel fbanks of windows of equal length, in one call.

    Parameters
    ----------
    waveforms
        ``[batch, samples]`` mono windows at ``cfg.samplerate_hz``, float, on any device (the
        fbanks are computed there).
    cfg
        Front-end settings (mel bins, frame shift and length, normalisation statistics).
    target_frames
        Frames the model takes (``input_tdim``): shorter fbanks are zero-padded at the end
        (before normalisation, as the original), longer ones cut.

    Returns
    -------
    torch.Tensor
        ``[batch, target_frames, num_mel_bins]``, float32.

    Raises
    ------
    ValueError
        The windows are shorter than one frame (:func:`frame_samples`).
    """
    size, shift = frame_samples(cfg), _frame_shift(cfg)
    if waveforms.ndim != 2 or waveforms.shape[1] < size:
        raise ValueError(
            f"a window needs at least {size} mono samples, got {list(waveforms.shape)}"
        )
    x = waveforms.float()
    x = x - x.mean(dim=1, keepdim=True)
    frames = x.unfold(1, size, shift)  # [B, m, size], snip_edges
    frames = frames - frames.mean(dim=2, keepdim=True)  # remove_dc_offset
    previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=2)  # replicate pad
    frames = frames - _PREEMPHASIS * previous
    window = torch.hann_window(size, periodic=False, device=x.device, dtype=x.dtype)
    padded = 1 << (size - 1).bit_length()  # round_to_power_of_two
    frames = torch.nn.functional.pad(frames * window, (0, padded - size))
    power = torch.fft.rfft(frames).abs().pow(2.0)
    mel = _mel_matrix(cfg.num_mel_bins, padded, cfg.samplerate_hz, str(x.device))
    fbank = torch.clamp_min(power @ mel, _EPS).log()
    missing = target_frames - fbank.shape[1]
    if missing > 0:
        fbank = torch.nn.functional.pad(fbank, (0, 0, 0, missing))
    elif missing < 0:
        fbank = fbank[:, :target_frames]
    return (fbank - cfg.mean) / (cfg.std * 2)


def compute_fbank(waveform: torch.Tensor, cfg: FrontendConfig, target_frames: int) -> torch.Tensor:
    """Normalised log-mel fbank of one window ``[samples]``: ``[target_frames, mel bins]``.

    See :func:`batch_fbank` (this is its batch of one).
    """
    if waveform.ndim != 1:
        raise ValueError(f"a window needs 1-D mono samples, got {list(waveform.shape)}")
    return batch_fbank(waveform.unsqueeze(0), cfg, target_frames)[0]


@dataclass(frozen=True)
class WindowSpan:
    """One analysis window: its true times and its samples at the front-end rate."""

    start_s: float
    end_s: float
    start: int
    stop: int


def plan_windows(
    duration_s: float, n_samples: int, cfg: FrontendConfig, hop_s: float
) -> list[WindowSpan]:
    """The windows of a recording: one every ``hop_s``, up to the first reaching the end.

    Parameters
    ----------
    duration_s
        Length of the recording in seconds (window ends are clipped to it).
    n_samples
        Its length in samples at ``cfg.samplerate_hz``.
    cfg
        Front-end settings (``window_s``, sample rate, frame length).
    hop_s
        Seconds between window starts.

    Returns
    -------
    list[WindowSpan]
        Windows shorter than one fbank frame (:func:`frame_samples`) are left out.

    Raises
    ------
    ValueError
        ``hop_s`` <= 0.
    """
    if hop_s <= 0:
        raise ValueError(f"hop_s must be > 0, got {hop_s}")
    length = round(cfg.window_s * cfg.samplerate_hz)
    plan: list[WindowSpan] = []
    for k in range(n_samples):  # bounded: each window starts at least one sample later
        start_s = float(k * hop_s)
        start = round(start_s * cfg.samplerate_hz)
        if start >= n_samples:
            break
        stop = min(start + length, n_samples)
        if stop - start >= frame_samples(cfg):
            plan.append(WindowSpan(start_s, min(start_s + cfg.window_s, duration_s), start, stop))
        if stop >= n_samples:
            break
    return plan


def window_waveforms(
    info: AudioInfo,
    plan: list[WindowSpan],
    cfg: FrontendConfig,
    *,
    device: torch.device | str = "cpu",
    times: StageTimes | None = None,
) -> Iterator[torch.Tensor]:
    """Stream a recording and yield the samples of each planned window, in order.

    The file is read in blocks of ``_READ_BLOCK_S``, averaged to mono and resampled once
    (:class:`~core.model.resampler.StreamingResampler`); only the samples of the windows still
    to come are kept, so memory does not grow with the recording's length. On CUDA the blocks
    go through pinned memory.

    Raises
    ------
    AudioError
        The file cannot be read, its rate needs too large a kernel, or it ends before the
        last window.
    """
    device = torch.device(device)
    orig_hz = info.samplerate_hz
    check_kernel(info.path, orig_hz, cfg.samplerate_hz)
    resampler = StreamingResampler(orig_hz, cfg.samplerate_hz, device=device)
    blocks = iter_blocks(info, max(1, round(_READ_BLOCK_S * orig_hz)), mono=True)
    todo = list(plan)
    # buf holds resampled samples [buf_start, received); buf_start > received while
    # skipping a gap between windows (hop_s > window_s)
    buf, buf_start, received = torch.zeros(0, device=device), 0, 0
    for chunk in _resampled(blocks, resampler, pinned=device.type == "cuda", times=times):
        first, received = received, received + chunk.shape[0]
        buf = torch.cat([buf, chunk[max(0, buf_start - first) :]])
        while todo and todo[0].stop <= received:
            span = todo.pop(0)
            yield buf[span.start - buf_start : span.stop - buf_start]
            keep = todo[0].start if todo else received
            buf, buf_start = buf[max(0, keep - buf_start) :], keep
    if todo:  # the file held fewer samples than its header said while we read it
        raise AudioError(info.path, "ended before its last window could be read", "re-copy it")


def _resampled(
    blocks: Iterator[np.ndarray],
    resampler: StreamingResampler,
    *,
    pinned: bool,
    times: StageTimes | None,
) -> Iterator[torch.Tensor]:
    while True:
        with measure_stage(times, "read"):
            block = next(blocks, None)
        if block is None:
            break
        with measure_stage(times, "resample"):
            host = torch.from_numpy(block)
            chunk = resampler.push(host.pin_memory() if pinned else host)
        yield chunk
    with measure_stage(times, "resample"):
        chunk = resampler.flush()
    yield chunk
