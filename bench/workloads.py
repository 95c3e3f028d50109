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


def write_recording(path: Path, seconds: float, rate: int, seed: int = 0) -> Path:
    """A chirping tone in noise, written in 60 s pieces (never whole in memory)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".part")
    with sf.SoundFile(tmp, "w", rate, 1, subtype="PCM_16", format="WAV") as out:
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
        return [write_recording(cache / f"long_{seconds:g}s_384k.wav", seconds, 384_000)]
    count, seconds = (args.short_n, 60.0) if name == "short" else (args.stream_short_n, 10.0)
    folder = cache / f"{name}_{seconds:g}s"
    folder.mkdir(exist_ok=True)
    return [write_recording(folder / f"{i:05d}.wav", seconds, 48_000, i) for i in range(count)]
