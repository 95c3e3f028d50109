"""The AST front end: resample to 16 kHz (streamed), Kaldi fbank, pad/crop, normalise.

Per window, exactly the recipe of the original training and inference code
(YuanGongND/ast ``src/dataloader.py``): the waveform's mean is removed, then
``torchaudio.compliance.kaldi.fbank(htk_compat=True, use_energy=False,
window_type='hanning', num_mel_bins=128, dither=0.0, frame_shift=10)``, zero-padded or cut
to ``input_tdim`` frames, and normalised as ``(fbank - mean) / (2 * std)``.

Resampling is done once per recording with torchaudio's sinc resampler, but in chunks:
:class:`StreamingResampler` gives the same samples as resampling the whole file at once
(each chunk carries enough neighbouring input for the filter), so an hour at 384 kHz never
sits whole in memory. :func:`plan_windows` places the analysis windows and
:func:`window_fbanks` streams a file into the fbank of each.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torchaudio

from core.audio.io import AudioInfo, iter_blocks
from core.errors import AudioError
from core.model.card import FrontendConfig

logger = logging.getLogger(__name__)

# torchaudio's resample defaults (also those of the original torchaudio.transforms.Resample)
_LOWPASS_FILTER_WIDTH = 6
_ROLLOFF = 0.99
_READ_BLOCK_S = 10.0  # seconds of input decoded per read


def frame_samples(cfg: FrontendConfig) -> int:
    """Samples in one fbank frame (400 at 16 kHz and 25 ms): shorter audio gives no frame."""
    return int(cfg.samplerate_hz * cfg.frame_length_ms / 1000)


def compute_fbank(waveform: torch.Tensor, cfg: FrontendConfig, target_frames: int) -> torch.Tensor:
    """Normalised log-mel fbank of one window, as the original AST recipe.

    Parameters
    ----------
    waveform
        Mono samples at ``cfg.samplerate_hz``, shape ``(samples,)``, float in [-1, 1], on any
        device (the fbank is computed there).
    cfg
        Front-end settings (mel bins, frame shift and length, normalisation statistics).
    target_frames
        Frames the model takes (``input_tdim``): shorter fbanks are zero-padded at the end
        (before normalisation, as the original), longer ones cut.

    Returns
    -------
    torch.Tensor
        ``(target_frames, num_mel_bins)``, float32.

    Raises
    ------
    ValueError
        The window is shorter than one frame (:func:`frame_samples`).
    """
    if waveform.ndim != 1 or waveform.shape[0] < frame_samples(cfg):
        raise ValueError(
            f"a window needs at least {frame_samples(cfg)} mono samples, got {list(waveform.shape)}"
        )
    waveform = waveform.float()
    waveform = waveform - waveform.mean()
    fbank = torchaudio.compliance.kaldi.fbank(
        waveform.unsqueeze(0),
        htk_compat=True,
        sample_frequency=cfg.samplerate_hz,
        use_energy=False,
        window_type="hanning",
        num_mel_bins=cfg.num_mel_bins,
        dither=0.0,
        frame_shift=cfg.frame_shift_ms,
        frame_length=cfg.frame_length_ms,
    )
    missing = target_frames - fbank.shape[0]
    if missing > 0:
        fbank = torch.nn.functional.pad(fbank, (0, 0, 0, missing))
    elif missing < 0:
        fbank = fbank[:target_frames]
    return (fbank - cfg.mean) / (cfg.std * 2)


def resample_context(orig_hz: int, new_hz: int) -> int:
    """Input samples of context either side of a chunk that make chunked == whole resampling.

    The sinc filter of ``torchaudio.functional.resample`` reaches ``width`` input samples
    (in the gcd-reduced rate) each side; the context is rounded up to whole strides and
    doubled as a margin.
    """
    gcd = math.gcd(orig_hz, new_hz)
    stride, up = orig_hz // gcd, new_hz // gcd
    width = math.ceil(_LOWPASS_FILTER_WIDTH * stride / (min(stride, up) * _ROLLOFF))
    return 2 * stride * math.ceil((width + stride) / stride)


class StreamingResampler:
    """Resample a recording pushed in chunks; the output equals whole-file resampling.

    ``torchaudio.functional.resample`` computes output group ``m`` (``up`` samples) from input
    samples ``m * stride - width`` to ``(m + 1) * stride + width``, zero beyond the ends. This
    class emits each group as soon as its input is there, resampling each stretch with
    :func:`resample_context` extra samples each side and keeping only that much input.

    Parameters
    ----------
    orig_hz, new_hz
        Sample rates in Hz.
    device
        Where to resample (the pushed chunks are moved there).
    """

    def __init__(self, orig_hz: int, new_hz: int, *, device: torch.device | str = "cpu") -> None:
        self.orig_hz, self.new_hz = int(orig_hz), int(new_hz)
        gcd = math.gcd(self.orig_hz, self.new_hz)
        self._stride, self._up = self.orig_hz // gcd, self.new_hz // gcd
        self._context = resample_context(self.orig_hz, self.new_hz)
        self.device = torch.device(device)
        # one kernel per file: transforms.Resample computes it once
        self._resample = torchaudio.transforms.Resample(self.orig_hz, self.new_hz).to(self.device)
        self._buf = torch.zeros(0, device=self.device)
        self._buf_start = 0  # input index of _buf[0]
        self._seen = 0  # input samples pushed so far
        self._group = 0  # next output group to emit
        self._closed = False

    def push(self, chunk: torch.Tensor) -> torch.Tensor:
        """Add mono input samples; return the output samples that are now final."""
        if self._closed:
            raise RuntimeError("push() after flush()")
        chunk = chunk.to(self.device, torch.float32).reshape(-1)
        if self.orig_hz == self.new_hz:
            return chunk
        self._buf = torch.cat([self._buf, chunk])
        self._seen += chunk.shape[0]
        end_group = max(0, (self._seen - self._context) // self._stride)
        if end_group <= self._group:
            return self._buf[:0]
        out = self._emit(
            end_group * self._stride + self._context, (end_group - self._group) * self._up
        )
        self._group = end_group
        keep_from = max(0, self._group * self._stride - self._context)
        self._buf = self._buf[keep_from - self._buf_start :]
        self._buf_start = keep_from
        return out

    def flush(self) -> torch.Tensor:
        """Return the last output samples (the input has ended)."""
        self._closed = True
        if self.orig_hz == self.new_hz:
            return self._buf[:0]
        total = -(-self._up * self._seen // self._stride)  # ceil, as torchaudio's length
        count = total - self._group * self._up
        return self._emit(self._seen, count) if count > 0 else self._buf[:0]

    def _emit(self, seg_end: int, count: int) -> torch.Tensor:
        seg_start = max(0, self._group * self._stride - self._context)
        segment = self._buf[seg_start - self._buf_start : seg_end - self._buf_start]
        out = self._resample(segment)
        offset = (self._group * self._stride - seg_start) // self._stride * self._up
        return out[offset : offset + count]


def resample(waveform: torch.Tensor, orig_hz: int, new_hz: int) -> torch.Tensor:
    """Resample a whole mono waveform at once (torchaudio's sinc resampler, its defaults)."""
    if orig_hz == new_hz:
        return waveform
    return torchaudio.functional.resample(waveform, orig_hz, new_hz)


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


def window_fbanks(
    info: AudioInfo,
    plan: list[WindowSpan],
    cfg: FrontendConfig,
    target_frames: int,
    *,
    device: torch.device | str = "cpu",
) -> Iterator[torch.Tensor]:
    """Stream a recording and yield the normalised fbank of each planned window, in order.

    The file is read in blocks, averaged to mono and resampled once
    (:class:`StreamingResampler`); only the samples of the windows still to come are kept.

    Raises
    ------
    AudioError
        The file cannot be read, or ends before the last window.
    """
    orig_hz = info.samplerate_hz
    resampler = StreamingResampler(orig_hz, cfg.samplerate_hz, device=device)
    blocks = iter_blocks(info, max(1, round(_READ_BLOCK_S * orig_hz)), mono=True)
    todo = list(plan)
    # buf holds resampled samples [buf_start, received); buf_start > received while
    # skipping a gap between windows (hop_s > window_s)
    buf, buf_start, received = torch.zeros(0, device=device), 0, 0
    for chunk in _resampled(blocks, resampler):
        first, received = received, received + chunk.shape[0]
        buf = torch.cat([buf, chunk[max(0, buf_start - first) :]])
        while todo and todo[0].stop <= received:
            span = todo.pop(0)
            yield compute_fbank(
                buf[span.start - buf_start : span.stop - buf_start], cfg, target_frames
            )
            keep = todo[0].start if todo else received
            buf, buf_start = buf[max(0, keep - buf_start) :], keep
    if todo:  # the file held fewer samples than its header said while we read it
        raise AudioError(info.path, "ended before its last window could be read", "re-copy it")


def _resampled(
    blocks: Iterator[np.ndarray], resampler: StreamingResampler
) -> Iterator[torch.Tensor]:
    for block in blocks:
        yield resampler.push(torch.from_numpy(block))
    yield resampler.flush()
