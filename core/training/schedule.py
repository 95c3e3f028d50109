"""The learning-rate factor of each step: warm-up as a share of the run, then step decay.

The original recipe warmed up over a fixed 1,000 steps; on the 449-clip frog set at batch 4
that was 9 of its 10 epochs, so the model trained at full rate for one epoch. Here the
warm-up is ``warmup_share`` of all steps, whatever the data set's size.
"""

from __future__ import annotations

from core.training.config import ScheduleConfig


def warmup_steps(total_steps: int, cfg: ScheduleConfig) -> int:
    """Steps of linear warm-up: ``warmup_share`` of ``total_steps`` (at least 1 when > 0)."""
    if cfg.warmup_share <= 0:
        return 0
    return max(1, round(cfg.warmup_share * total_steps))


def lr_factor(step: int, steps_per_epoch: int, epochs: int, cfg: ScheduleConfig) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based, over the whole run)."""
    warm = warmup_steps(steps_per_epoch * epochs, cfg)
    factor = min(1.0, (step + 1) / warm) if warm else 1.0
    epoch = step // steps_per_epoch + 1
    if epoch >= cfg.decay_start_epoch:
        factor *= cfg.decay_factor ** (
            (epoch - cfg.decay_start_epoch) // cfg.decay_every_epochs + 1
        )
    return factor
