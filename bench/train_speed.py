"""Training speed: clips per second of one epoch of the tiny AST (or a size given) on CPU/CUDA.

    PYTHONPATH=. python bench/train_speed.py [--size test|tiny224|base384] [--device cuda] [--bf16]

Writes nothing but a line per epoch; speed figures belong here, never in unit tests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from core.model.card import ASTConfig, FrontendConfig
from core.training.config import AugmentConfig, DatasetConfig, TrainConfig
from core.training.dataset import prepare_dataset
from core.training.examples import examples_from_folders
from core.training.trainer import TrainProgress, train
from tests.core.training.synthetic import write_label_folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="test")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--clips", type=int, default=16, help="recordings per label")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_label_folders(root / "src", per_label=args.clips, seconds=10.0)
        ds = prepare_dataset(examples_from_folders(root / "src"), root / "ds", DatasetConfig())
        cfg = TrainConfig(
            model=ASTConfig(size=args.size, input_tdim=1000, label_dim=2),
            frontend=FrontendConfig(),
            epochs=args.epochs,
            augment=AugmentConfig(),
            device=args.device,
            bf16=args.bf16,
        )
        n = sum(ds.summary["clips"]["train"].values())
        started = [time.perf_counter()]

        def show(p: TrainProgress) -> None:
            if p.validation is not None:
                now = time.perf_counter()
                print(
                    f"epoch {p.epoch}: {n / (now - started[0]):.1f} train clips/s "
                    f"(with validation), loss {p.loss:.4f}"
                )
                started[0] = now

        train(cfg, ds.datafiles["train"], ds.datafiles["validation"], root / "run", progress=show)


if __name__ == "__main__":
    main()
