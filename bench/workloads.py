"""The benchmark's recordings: synthetic AudioMoth-like WAV files, written once to a cache.

* ``long``: one long file (``--long-s``, default 1 h, 48 kHz);
* ``short``: many 60 s files (``--short-n``, default 200), as triggered recorders write;
* ``stream-long``: one 384 kHz file (``--stream-long-s``, default 2 h);
* ``stream-short``: ``--stream-short-n`` (default 1,000) 10 s files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf

WORKLOADS = ("long", "short", "stream-long", "stream-short")
RIFF_LIMIT_BYTES = 2**32 - 1  # a RIFF size field is 32 bits (and FAT32 files stop at 4 GiB)


def write_recording(path: Path, seconds: float, rate: int, seed: int = 0) -> Path:
    """A chirping tone in noise, written in 60 s pieces (never whole in memory).

    WAV (16-bit PCM), or FLAC where ``path`` ends in ``.flac``.
    """
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".part")
    container = "FLAC" if path.suffix == ".flac" else "WAV"
    with sf.SoundFile(tmp, "w", rate, 1, subtype="PCM_16", format=container) as out:
        done = 0
        total = round(seconds * rate)
        while done < total:
            n = min(60 * rate, total - done)
            t = (done + np.arange(n)) / rate
            x = 0.2 * np.sin(2 * np.pi * 600 * t) * (np.sin(2 * np.pi * 0.3 * t) > 0)
            out.write((x + 0.02 * rng.standard_normal(n)).astype(np.float32))
            done += n
    tmp.rename(path)
    return path


def workload(name: str, args: argparse.Namespace) -> list[Path]:
    """The files of a workload, written once under ``args.cache``."""
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    if name == "long":
        return [write_recording(cache / f"long_{args.long_s:g}s_48k.wav", args.long_s, 48_000)]
    if name == "stream-long":
        seconds = args.stream_long_s
        # Past 4 GiB (about 93 minutes at 384 kHz) no WAV can hold it: FLAC, as a recorder would.
        wav_bytes = 44 + 2 * round(seconds * 384_000)
        suffix = "flac" if wav_bytes > RIFF_LIMIT_BYTES else "wav"
        return [write_recording(cache / f"long_{seconds:g}s_384k.{suffix}", seconds, 384_000)]
    count, seconds = (args.short_n, 60.0) if name == "short" else (args.stream_short_n, 10.0)
    folder = cache / f"{name}_{seconds:g}s"
    folder.mkdir(exist_ok=True)
    return [write_recording(folder / f"{i:05d}.wav", seconds, 48_000, i) for i in range(count)]
