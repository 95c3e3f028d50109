"""End-to-end detector throughput: read, resample, fbank and model, in x real time.

Writes a synthetic recording (48 kHz mono 16-bit by default, as an AudioMoth), then scores
it with :meth:`core.model.detector.Detector.score_file` for each model size and device, and prints
one row per run: seconds of audio per second of wall time ("x real time"). A "frontend"
row uses a model that costs nothing, to show what reading, resampling and the fbank alone
cost. Weights are random (speed does not depend on them).

    .venv/bin/python bench/throughput.py                       # all sizes, CPU (+ CUDA)
    .venv/bin/python bench/throughput.py --seconds 600 --bf16  # longer file, bf16 rows too
    .venv/bin/python bench/throughput.py --models base384 --devices cuda --batch-size 32
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from torch import nn

from core.model.ast import ASTModel
from core.model.card import ASTConfig, ModelCard, load_model_card
from core.model.detector import build_detector


class FrontendOnly(nn.Module):
    """Returns zeros: the timing of everything but the transformer."""

    def __init__(self, cfg: ASTConfig) -> None:
        super().__init__()
        self.cfg = cfg

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], self.cfg.label_dim, device=x.device)


def card_for(size: str) -> ModelCard:
    """The frog model card, with the transformer of ``size`` (same input and labels)."""
    frog = load_model_card("rana_draytonii")
    if size == "frontend":
        return frog
    dims = {"size": size, "embed_dim": None, "depth": None, "num_heads": None}
    return frog.model_copy(update={"model": ASTConfig(**(frog.model.model_dump() | dims))})


def write_recording(path: Path, seconds: float, samplerate_hz: int) -> Path:
    rng = np.random.default_rng(0)
    t = np.arange(round(seconds * samplerate_hz)) / samplerate_hz
    x = 0.2 * np.sin(2 * np.pi * 600 * t) * (np.sin(2 * np.pi * 0.3 * t) > 0)
    x += 0.02 * rng.standard_normal(t.size)
    sf.write(path, x.astype(np.float32), samplerate_hz, subtype="PCM_16")
    return path


def run(size: str, device: str, bf16: bool, path: Path, args: argparse.Namespace) -> dict:
    card = card_for(size)
    torch.manual_seed(0)
    model = FrontendOnly(card.model) if size == "frontend" else ASTModel(card.model).eval()
    detector = build_detector(card, device=device, bf16=bf16, model=model)
    detector.score_file(args.warmup_file, batch_size=args.batch_size)  # CUDA init, kernels
    best = float("inf")
    for _ in range(args.repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        result = detector.score_file(path, batch_size=args.batch_size)
        best = min(best, time.perf_counter() - start)  # the result is on the CPU: synced
    return {
        "model": size,
        "device": device,
        "dtype": "bf16" if bf16 else "fp32",
        "windows": len(result.windows),
        "audio_s": result.duration_s,
        "wall_s": best,
        "x_real_time": result.duration_s / best,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="recording length (s)")
    parser.add_argument("--samplerate-hz", type=int, default=48_000)
    parser.add_argument(
        "--models",
        default="frontend,test,tiny224,base384",
        help="comma-separated: frontend (no model), test (64 wide, 2 blocks), tiny224, "
        "small224, base224, base384",
    )
    parser.add_argument("--devices", default="cpu,cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--bf16", action="store_true", help="also run with bf16 autocast")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2, help="best of N")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_recording(Path(tmp) / "bench.wav", args.seconds, args.samplerate_hz)
        args.warmup_file = write_recording(Path(tmp) / "warm.wav", 2.0, args.samplerate_hz)
        for device in args.devices.split(","):
            for size in args.models.split(","):
                for bf16 in (False, True) if args.bf16 and size != "frontend" else (False,):
                    rows.append(run(size, device, bf16, path, args))
                    print(_row(rows[-1]), flush=True)

    print()
    print(
        f"{args.seconds:g} s of {args.samplerate_hz} Hz 16-bit mono, hop 10 s, batch "
        f"{args.batch_size}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads"
        + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else "")
    )
    print(_header())
    for row in rows:
        print(_row(row))


def _header() -> str:
    return (
        f"| {'model':<9} | {'device':<6} | {'dtype':<5} | {'windows':>7} | {'audio s':>8} "
        f"| {'wall s':>7} | {'x real time':>11} |\n|{'-' * 11}|{'-' * 8}|{'-' * 7}|{'-' * 9}"
        f"|{'-' * 10}|{'-' * 9}|{'-' * 13}|"
    )


def _row(r: dict) -> str:
    return (
        f"| {r['model']:<9} | {r['device']:<6} | {r['dtype']:<5} | {r['windows']:>7} | "
        f"{r['audio_s']:>8.1f} | {r['wall_s']:>7.2f} | {r['x_real_time']:>11.1f} |"
    )


if __name__ == "__main__":
    main()
