"""CUDA against CPU float32 on real recordings: the same windows, scores within 1e-2.

Random base384 weights (seeded; no checkpoint is needed to compare two code paths). For each
of the first ``--files`` readable recordings of at least 10 s under ``--audio``, scores every
window on the CPU in float32 and on CUDA in float32 and bf16, and prints the largest score
difference. Exits 1 when a difference passes ``--tolerance``.

    .venv/bin/python bench/gpu_check.py --audio ../shared/realaudio --files 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from bench.throughput import card_for
from core.audio.files import find_audio_files
from core.audio.io import read_info
from core.model.ast import ASTModel
from core.model.detector import build_detector


def pick(folder: Path, n: int) -> list[Path]:
    chosen = []
    for path in find_audio_files([folder]).files:
        try:
            info = read_info(path)
        except Exception:  # unreadable files are other tests' business
            continue
        if 10.0 <= info.duration_s <= 600.0:
            chosen.append(path)
        if len(chosen) == n:
            break
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", default="../shared/realaudio")
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--tolerance", type=float, default=1e-2)
    parser.add_argument("--device", default="cuda", help="cpu: a dry run of this script")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device here", file=sys.stderr)
        return 2
    card = card_for("base384")
    torch.manual_seed(0)
    model = ASTModel(card.model).eval()
    cpu = build_detector(card, device="cpu", model=model)
    cuda = build_detector(card, device=args.device, model=ASTModel(card.model).eval())
    cuda.model.load_state_dict(model.state_dict())
    cuda_bf16 = build_detector(card, device=args.device, bf16=True, model=cuda.model)
    files = pick(Path(args.audio), args.files)
    if not files:
        print(f"no recording of 10 s to 10 min under {args.audio}", file=sys.stderr)
        return 2
    worst = 0.0
    print("| file | windows | max diff fp32 | max diff bf16 |\n|---|---:|---:|---:|")
    for path in files:
        want = np.array([w.scores for w in cpu.score_file(path, batch_size=8).windows])
        got32 = np.array([w.scores for w in cuda.score_file(path, batch_size=64).windows])
        got16 = np.array([w.scores for w in cuda_bf16.score_file(path, batch_size=64).windows])
        d32, d16 = np.abs(got32 - want).max(), np.abs(got16 - want).max()
        worst = max(worst, d32, d16)
        print(f"| {path.name} | {len(want)} | {d32:.2e} | {d16:.2e} |", flush=True)
    verdict = "PASS" if worst <= args.tolerance else "FAIL"
    print(f"{verdict}: largest difference {worst:.2e} (tolerance {args.tolerance:g})")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
