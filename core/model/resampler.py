"""Resampling to the model's rate: streamed, one cached sinc kernel per rate pair, bounded.

torchaudio's sinc resampler reduces the two rates by their gcd and builds a kernel of
``up x (stride + 2 * width)`` taps (``up = new / gcd``, ``stride = orig / gcd``). For the rates
recorders use that is small (48 kHz -> 16 kHz: 1 x 41 taps; 44.1 kHz: 160 x 475), but a rate
with no common factor is not: a file declaring 15,999 Hz needs 16,000 x 16,013 taps (1 GB), and
one declaring 12 Hz is upsampled 1,333 times. :func:`check_kernel` refuses the first before any
memory is allocated, with the reason and what to do (implausible rates such as 12 Hz are
refused before, by :func:`core.metadata.plausibility.check_samplerate`).

:class:`StreamingResampler` gives the same samples as resampling the whole file at once (each
chunk carries enough neighbouring input for the filter), so an hour at 384 kHz never sits
whole in memory. The kernel of a rate pair is built once per process and device
(:func:`resampler_for`), not once per file.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from pathlib import Path

import torch
import torchaudio

from core.errors import UnsupportedFormatError

logger = logging.getLogger(__name__)

# torchaudio's resample defaults (also those of the original torchaudio.transforms.Resample)
_LOWPASS_FILTER_WIDTH = 6
_ROLLOFF = 0.99

MAX_KERNEL_TAPS = 16 * 1024 * 1024
"""Largest resampling kernel built (float32 taps: 64 MiB); 12,345 Hz needs 7.9 M."""


def _reduced(orig_hz: int, new_hz: int) -> tuple[int, int, int]:
    gcd = math.gcd(orig_hz, new_hz)
    stride, up = orig_hz // gcd, new_hz // gcd
    width = math.ceil(_LOWPASS_FILTER_WIDTH * stride / (min(stride, up) * _ROLLOFF))
    return stride, up, width


def kernel_taps(orig_hz: int, new_hz: int) -> int:
    """Taps of torchaudio's sinc kernel from ``orig_hz`` to ``new_hz`` (0 when equal)."""
    if orig_hz == new_hz:
        return 0
    stride, up, width = _reduced(orig_hz, new_hz)
    return up * (stride + 2 * width)


def check_kernel(path: str | Path, orig_hz: int, new_hz: int) -> None:
    """Refuse a rate pair whose resampling kernel would pass :data:`MAX_KERNEL_TAPS`.

    Raises
    ------
    UnsupportedFormatError
        The ratio of ``orig_hz`` to ``new_hz`` reduces so little (e.g. 15,999 to 16,000 Hz)
        that the kernel would be too large; the message says how to convert the file.
    """
    taps = kernel_taps(orig_hz, new_hz)
    if taps > MAX_KERNEL_TAPS:
        raise UnsupportedFormatError(
            path,
            f"declares {orig_hz} Hz, which has no small ratio to the model's {new_hz} Hz "
            f"(resampling would need a {taps * 4 / 2**30:.1f} GiB filter)",
            f"convert it to a standard rate first, e.g. sox IN.wav -r {new_hz} OUT.wav",
        )


@lru_cache(maxsize=32)
def resampler_for(orig_hz: int, new_hz: int, device: str = "cpu") -> torchaudio.transforms.Resample:
    """The sinc resampler of a rate pair on a device, built once (its kernel is a buffer)."""
    logger.debug("resampling kernel %d -> %d Hz on %s", orig_hz, new_hz, device)
    return torchaudio.transforms.Resample(orig_hz, new_hz).to(device)


def resample(waveform: torch.Tensor, orig_hz: int, new_hz: int) -> torch.Tensor:
    """Resample a whole waveform at once with the cached kernel of the rate pair.

    For clips (training data); recordings go through :class:`StreamingResampler`.
    """
    if orig_hz == new_hz:
        return waveform
    return resampler_for(orig_hz, new_hz, str(waveform.device))(waveform)


def resample_context(orig_hz: int, new_hz: int) -> int:
    """Input samples of context either side of a chunk that make chunked == whole resampling.

    The sinc filter of ``torchaudio.functional.resample`` reaches ``width`` input samples
    (in the gcd-reduced rate) each side; the context is rounded up to whole strides and
    doubled as a margin.
    """
    stride, _, width = _reduced(orig_hz, new_hz)
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
        Sample rates in Hz (check them first with :func:`check_kernel`).
    device
        Where to resample (the pushed chunks are moved there).
    """

    def __init__(self, orig_hz: int, new_hz: int, *, device: torch.device | str = "cpu") -> None:
        self.orig_hz, self.new_hz = int(orig_hz), int(new_hz)
        self._stride, self._up, _ = _reduced(self.orig_hz, self.new_hz)
        self._context = resample_context(self.orig_hz, self.new_hz)
        self.device = torch.device(device)
        self._resample = (
            None
            if self.orig_hz == self.new_hz
            else resampler_for(self.orig_hz, self.new_hz, str(self.device))
        )
        self._buf = torch.zeros(0, device=self.device)
        self._buf_start = 0  # input index of _buf[0]
        self._seen = 0  # input samples pushed so far
        self._group = 0  # next output group to emit
        self._closed = False

    def push(self, chunk: torch.Tensor) -> torch.Tensor:
        """Add mono input samples; return the output samples that are now final."""
        if self._closed:
            raise RuntimeError("push() after flush()")
        chunk = chunk.to(self.device, torch.float32, non_blocking=True).reshape(-1)
        if self._resample is None:
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
        if self._resample is None:
            return self._buf[:0]
        total = -(-self._up * self._seen // self._stride)  # ceil, as torchaudio's length
        count = total - self._group * self._up
        return self._emit(self._seen, count) if count > 0 else self._buf[:0]

    def _emit(self, seg_end: int, count: int) -> torch.Tensor:
        assert self._resample is not None
        seg_start = max(0, self._group * self._stride - self._context)
        segment = self._buf[seg_start - self._buf_start : seg_end - self._buf_start]
        out = self._resample(segment)
        offset = (self._group * self._stride - seg_start) // self._stride * self._up
        return out[offset : offset + count]
