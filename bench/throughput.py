"""Detector throughput: x real time end to end and per stage, FLOP/s, peak memory.

Each row runs in its own process (so its peak memory is its own) on synthetic AudioMoth-like
recordings (mono 16-bit, 48 kHz unless said otherwise, written once under ``--cache``):

* ``long``: one long file (``--long-s``, default 1 h);
* ``short``: many 60 s files (``--short-n``, default 200), as triggered recorders write;
* ``stream-long``: one 384 kHz file (``--stream-long-s``, default 2 h), front end only;
* ``stream-short``: ``--stream-short-n`` (default 1,000) 10 s files, front end only.

A row prints seconds per stage (read, resample, fbank, model: the loader's stages overlap
the model's on its thread), database writes (``db.queue.save_results`` of every result into
a fresh SQLite database), x real time, the model's achieved FLOP/s against a matrix-multiply
rate measured in the same process, and the peak resident memory. On the CPU both rates are
also given per CPU-second of this process (``time.process_time``): other work on a shared
machine slows the wall clock of the model and of the matmul probe at different moments, but
hardly changes the work done per CPU-second, so ``model/matmul`` (the model's share of the
matmul rate) is comparable between runs on a busy machine. The model's CPU seconds include
what the prefetching thread did meanwhile (about 1%), so the share is a lower bound.
``--max-windows`` stops the model rows after that many windows (the front end still reads
the whole workload, and the x real time of the whole is projected from the model's rate:
marked ``*``).

    .venv/bin/python bench/throughput.py                                  # the default table
    .venv/bin/python bench/throughput.py --rows long:base384:bf16 --max-windows 64
    .venv/bin/python bench/throughput.py --rows stream-long:frontend,stream-short:frontend
    .venv/bin/python bench/throughput.py --device cuda --batch-size 64 --rows long:base384:bf16
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from torch import nn

# Run as a script, the repository root is not on sys.path: put it there for ``bench``.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workloads import workload, write_recording  # noqa: E402
from core.model.ast import ASTModel  # noqa: E402
from core.model.card import ASTConfig, ModelCard, load_model_card  # noqa: E402
from core.model.detector import build_detector  # noqa: E402
from core.model.frontend import StageTimes  # noqa: E402

DEFAULT_ROWS = "long:frontend,short:frontend,long:base384:fp32,short:base384:fp32,long:base384:bf16"


class FrontendOnly(nn.Module):
    """Returns zeros: everything but the transformer."""

    def __init__(self, cfg: ASTConfig) -> None:
        super().__init__()
        self.cfg = cfg

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], self.cfg.label_dim, device=x.device)


class Budget(Exception):
    """Raised by the model once ``--max-windows`` windows are scored."""


def card_for(size: str) -> ModelCard:
    """The frog model card with the transformer of ``size`` (same input and labels)."""
    frog = load_model_card("rana_draytonii")
    if size == "frontend":
        return frog
    dims = {"size": size, "embed_dim": None, "depth": None, "num_heads": None}
    return frog.model_copy(update={"model": ASTConfig(**(frog.model.model_dump() | dims))})


def model_flops(cfg: ASTConfig) -> float:
    """Multiply-adds x 2 of one forward pass of one window (patch embedding, blocks, head)."""
    f_dim, t_dim = cfg.grid
    n, d = f_dim * t_dim + 2, cfg.embed_dim
    per_block = 2 * n * 12 * d * d + 4 * n * n * d  # qkv, proj, mlp; q @ k and attn @ v
    return 2 * f_dim * t_dim * d * 256 + cfg.depth * per_block + 2 * d * cfg.label_dim


def matmul_rate(device: torch.device, dtype: torch.dtype, d: int = 768) -> tuple[float, float]:
    """FLOP per wall second (best of 3) and per CPU second (of 6) of a matmul shaped like the
    model's MLP (4 windows of 1,190 tokens)."""
    a = torch.randn(4 * 1190, d, device=device, dtype=dtype)
    b = torch.randn(d, 4 * d, device=device, dtype=dtype)
    flop = 2 * a.shape[0] * d * 4 * d
    torch.mm(a, b)
    best = float("inf")
    for _ in range(3):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        torch.mm(a, b)
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    cpu = time.process_time()
    for _ in range(6):
        torch.mm(a, b)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return flop / best, 6 * flop / max(time.process_time() - cpu, 1e-9)


def save_all(results: list, card: ModelCard) -> float:
    """Seconds to store every result as the detect flow does (one transaction each)."""
    from db import crud, queue
    from db.migrate import upgrade
    from db.models import DetectionRun, Recording
    from db.session import get_engine, session_scope

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = get_engine(url)
        with session_scope(engine) as session:
            version = crud.get_or_create_model_version(
                session=session, name="bench", version="1", checkpoint_sha256="0" * 64,
                labels=list(card.labels), settings={},
            )  # fmt: skip
            runs = []
            for i, result in enumerate(results):
                rec = Recording(path=str(result.path), size_bytes=1, sha256=f"{i:064x}",
                                readable=True, duration_s=result.duration_s)  # fmt: skip
                crud.add_recording(session=session, recording=rec)
                run = DetectionRun(recording_id=rec.id, model_version_id=version.id,
                                   status="processing", claimed_by="bench", attempts=1)  # fmt: skip
                session.add(run)
                session.flush()
                runs.append(run.id)
        start = time.perf_counter()
        for run_id, result in zip(runs, results, strict=True):
            with session_scope(engine) as session:
                queue.save_results(session=session, run_id=run_id, worker="bench",
                                   result=result, labels=list(card.labels))  # fmt: skip
        return time.perf_counter() - start


def run_row(spec: str, args: argparse.Namespace) -> dict:
    """One row, in this process."""
    name, size, dtype = (spec.split(":") + ["fp32"])[:3]
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    files = workload(name, args)
    card = card_for(size)
    torch.manual_seed(0)
    base = FrontendOnly(card.model) if size == "frontend" else ASTModel(card.model).eval()
    counted = {"windows": 0, "cpu_s": 0.0}
    limit = args.max_windows if size != "frontend" else 0

    class Limited(nn.Module):  # stops the model rows after --max-windows windows
        def __init__(self) -> None:
            super().__init__()
            self.inner, self.cfg = base, base.cfg

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if limit and counted["windows"] >= limit:
                raise Budget
            counted["windows"] += x.shape[0]
            cpu = time.process_time()
            try:
                return self.inner(x)
            finally:
                counted["cpu_s"] += time.process_time() - cpu

    detector = build_detector(
        card, device=str(device), bf16=dtype == "bf16", model=Limited(), compile=args.compile
    )
    warm = write_recording(Path(args.cache) / "warm_20s_48k.wav", 20.0, 48_000)
    detector.score_file(warm, batch_size=args.batch_size or None)  # warm up, kernels, compile
    counted["windows"], counted["cpu_s"] = 0, 0.0
    matmul_dtype = torch.bfloat16 if dtype == "bf16" else torch.float32
    probes = [matmul_rate(device, matmul_dtype)]  # before and after: the machine's load drifts
    times = StageTimes()
    results, audio_s = [], 0.0
    start = time.perf_counter()
    try:
        for _, result in detector.score_files(
            files, batch_size=args.batch_size or None, prefetch=args.prefetch, times=times
        ):
            results.append(result)
            audio_s += result.duration_s
    except Budget:
        pass
    wall = time.perf_counter() - start
    windows = counted["windows"] if size != "frontend" else sum(len(r.windows) for r in results)
    model_s = times.seconds.get("model", 0.0)
    flops = model_flops(card.model) * windows / model_s if size != "frontend" and model_s else 0
    model_cpu_s = counted["cpu_s"] if size != "frontend" else 0.0
    cpu_flops = model_flops(card.model) * windows / model_cpu_s if model_cpu_s else 0
    probes.append(matmul_rate(device, matmul_dtype))
    total_audio = sum(sf.info(str(f)).duration for f in files)
    projected = bool(limit) and audio_s < total_audio - 1e-6
    stages = dict(times.seconds)
    if projected:  # the whole workload at the rates measured on its first windows
        scale = total_audio / card.frontend.window_s / max(windows, 1)
        wall, model_s, audio_s = wall * scale, model_s * scale, total_audio
        stages = {stage: seconds * scale for stage, seconds in stages.items()}
    row = {
        "row": spec,
        "files": len(files),
        "audio_s": audio_s,
        "windows": windows,
        "wall_s": wall,
        "x_real_time": audio_s / wall,
        "projected": projected,
        "stages": stages,
        "db_s": save_all(results, card) if results and not projected else float("nan"),
        "model_flops": flops,
        "matmul_flops": max(wall for wall, _ in probes),
        "model_cpu_flops": cpu_flops if device.type == "cpu" else 0.0,
        "matmul_cpu_flops": float(np.mean([cpu for _, cpu in probes])),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
        "fell_back": dtype == "bf16" and not detector.bf16,  # a CPU without bf16 units
    }
    if device.type == "cuda":
        row["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=DEFAULT_ROWS, help="WORKLOAD:MODEL[:fp32|bf16],...")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--batch-size", type=int, default=0, help="windows per forward pass (0: the detector's)"
    )
    parser.add_argument("--prefetch", type=int, default=2, help="chunks decoded ahead")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--max-windows", type=int, default=32, help="model rows: 0 = all")
    parser.add_argument("--long-s", type=float, default=3600.0)
    parser.add_argument("--short-n", type=int, default=200)
    parser.add_argument("--stream-long-s", type=float, default=7200.0)
    parser.add_argument("--stream-short-n", type=int, default=1000)
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ranawatch-bench"))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run one row here, print JSON
    args = parser.parse_args()
    if args.one:
        print("ROW " + json.dumps(run_row(args.one, args)), flush=True)
        return
    rows = []
    passthrough = list(sys.argv[1:])
    if "--rows" in passthrough:
        i = passthrough.index("--rows")
        del passthrough[i : i + 2]
    passthrough = [a for a in passthrough if not a.startswith("--rows=")]
    print(_header(args))
    for spec in args.rows.split(","):
        out = subprocess.run(
            [sys.executable, __file__, *passthrough, "--one", spec],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        line = next((x for x in out.stdout.splitlines() if x.startswith("ROW ")), None)
        if line is None:
            print(f"| {spec} | failed: {out.stderr.strip().splitlines()[-1:]} |", flush=True)
            continue
        rows.append(json.loads(line[4:]))
        print(_row(rows[-1]), flush=True)


def _header(args: argparse.Namespace) -> str:
    gpu = f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return (
        f"device {args.device}, batch {args.batch_size or 'default'}, prefetch {args.prefetch}, "
        f"torch "
        f"{torch.__version__}{gpu}; seconds per stage (loader stages overlap the model)\n"
        "| row | files | audio h | x real time | wall s | read | resample | fbank | model "
        "| db writes | model GFLOP/s | matmul GFLOP/s | model GFLOP/cpu-s | matmul GFLOP/cpu-s "
        "| model/matmul | peak RSS MB |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )


def _row(r: dict) -> str:
    s = r["stages"]
    star = "*" if r["projected"] else ""
    gflops = f"{r['model_flops'] / 1e9:.1f}" if r["model_flops"] else "-"
    note = " (ran fp32: no bf16 units)" if r.get("fell_back") else ""
    if r["model_cpu_flops"]:  # per CPU-second: robust to other work on the machine
        cpu = f"{r['model_cpu_flops'] / 1e9:.1f}"
        share = f"{r['model_cpu_flops'] / r['matmul_cpu_flops']:.0%}"
    elif r["model_flops"]:  # a GPU: wall rates (synchronised) are the measure
        cpu, share = "-", f"{r['model_flops'] / r['matmul_flops']:.0%}"
    else:
        cpu = share = "-"
    return (
        f"| {r['row']}{note} | {r['files']} | {r['audio_s'] / 3600:.2f} "
        f"| {r['x_real_time']:.1f}{star} | {r['wall_s']:.1f}{star} "
        f"| {s.get('read', 0):.1f} | {s.get('resample', 0):.1f} "
        f"| {s.get('fbank', 0):.1f} | {s.get('model', 0):.1f} | {r['db_s']:.2f} | {gflops} "
        f"| {r['matmul_flops'] / 1e9:.1f} | {cpu} | {r['matmul_cpu_flops'] / 1e9:.1f} | {share} "
        f"| {r['peak_rss_mb']:.0f} |"
    )


if __name__ == "__main__":
    main()
