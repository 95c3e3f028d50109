"""Cutting clips: where the clips of an example start, reading one, writing them.

A clip is band-passed (optional, zero-phase, at the recording's rate), resampled with the
front end's resampler and written as 16-bit PCM; a last piece shorter than ``clip_s`` is kept
as is (the front end pads its fbank as it does at inference).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import soundfile
import torch

from core.audio.io import load_audio, read_info
from core.model.resampler import resample
from core.training.bandpass import bandpass
from core.training.config import DatasetConfig
from core.training.datafile import label_mid
from core.training.examples import Example
from core.training.splits import Clip

_FILTER_MARGIN_S = 0.5  # extra audio each side, so the band-pass settles outside the clip


def clip_starts(
    example: Example, duration_s: float, cfg: DatasetConfig, rng: np.random.Generator
) -> list[float]:
    """Where the clips of one example start, in seconds of its recording.

    A whole file: every ``clip_s`` while at least ``min_clip_s`` remains (at most
    ``max_clips_per_file``). An event: centred on it, moved by ``offset_s`` and a uniform
    jitter of up to ``jitter_s``, kept inside the recording.
    """
    if example.start_s is None:
        starts, start = [], 0.0
        while start + max(cfg.min_clip_s, 1e-9) <= duration_s + 1e-9:
            starts.append(start)
            start += cfg.clip_s
        return starts[: cfg.max_clips_per_file]
    centre = (example.start_s + example.end_s) / 2
    jitter = float(rng.uniform(-cfg.jitter_s, cfg.jitter_s)) if cfg.jitter_s else 0.0
    start = centre - cfg.clip_s / 2 + cfg.offset_s + jitter
    return [float(min(max(0.0, start), max(0.0, duration_s - cfg.clip_s)))]


def read_clip(path: Path, start_s: float, cfg: DatasetConfig) -> np.ndarray:
    """``clip_s`` seconds from ``start_s``: mono, band-passed (optional), at ``cfg`` rate.

    Raises
    ------
    AudioError
        The file cannot be read.
    ConfigError
        The band-pass does not fit the file's sample rate.
    """
    info = read_info(path)
    margin = _FILTER_MARGIN_S if cfg.bandpass else 0.0
    first = max(0.0, start_s - margin)
    samples = load_audio(path, first, cfg.clip_s + (start_s - first) + margin, mono=True)
    if cfg.bandpass:
        samples = bandpass(samples, info.samplerate_hz, cfg.bandpass)
    out = resample(
        torch.from_numpy(np.ascontiguousarray(samples)), info.samplerate_hz, cfg.samplerate_hz
    )
    lead = round((start_s - first) * cfg.samplerate_hz)
    return out[lead : lead + round(cfg.clip_s * cfg.samplerate_hz)].numpy()


def cut_example(
    example: Example, cfg: DatasetConfig, clips_dir: Path, rng: np.random.Generator
) -> list[Clip]:
    """Cut and write the clips of one example into ``clips_dir/<label mid>/``.

    Raises
    ------
    AudioError
        The recording cannot be read.
    ValueError
        The event lies past the end of the recording.
    """
    info = read_info(example.path)
    if example.start_s is not None and example.start_s > info.duration_s:
        raise ValueError(
            f"{example.path}: event at {example.start_s:g} s is past the end "
            f"({info.duration_s:.1f} s)"
        )
    folder = clips_dir / label_mid(example.label)
    folder.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha1(example.recording.encode()).hexdigest()[:8]
    clips = []
    for start_s in clip_starts(example, info.duration_s, cfg, rng):
        samples = np.clip(read_clip(example.path, start_s, cfg), -1.0, 1.0)
        wav = folder / f"{Path(example.path).stem}_{tag}_{round(start_s * 1000):08d}.wav"
        soundfile.write(wav, samples, cfg.samplerate_hz, subtype="PCM_16")
        night = example.night(start_s)
        clips.append(
            Clip(
                wav=str(wav.resolve()),
                label=example.label,
                recording=example.recording,
                site=example.site,
                night=night.isoformat() if night else None,
                start_s=round(start_s, 3),
                duration_s=round(len(samples) / cfg.samplerate_hz, 3),
                source=example.source,
                source_path=str(example.path),
            )
        )
    return clips
