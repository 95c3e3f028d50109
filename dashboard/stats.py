"""Calling against temperature: bins, nights and a logistic curve (pure numpy/scipy).

The AudioMoth's thermometer sits inside its case, so the temperature is that of the air
around the recorder (warmed by the sun in the day), not of the water the frogs call from.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

BIN_COLUMNS = ["temperature_c", "recordings", "with_calls", "share"]
NIGHT_COLUMNS = ["site", "night", "temperature_c", "recordings", "share"]
MIN_BINS_TO_FIT = 3


@dataclass(frozen=True)
class LogisticFit:
    """``share(T) = p_max / (1 + exp(-slope (T - t50_c)))``: calling reaches half its
    maximum ``p_max`` at ``t50_c`` (°C)."""

    p_max: float
    slope: float
    t50_c: float


def logistic(t: np.ndarray, p_max: float, slope: float, t50_c: float) -> np.ndarray:
    """The logistic curve of :class:`LogisticFit` at temperatures ``t`` (°C)."""
    return p_max / (1.0 + np.exp(-slope * (np.asarray(t, dtype=float) - t50_c)))


def bin_width(temperatures: pd.Series) -> float:
    """1 °C bins, wider (2 or 5 °C) when the temperatures span a wide range."""
    span = float(temperatures.max() - temperatures.min()) if len(temperatures) else 0.0
    return 1.0 if span <= 25 else 2.0 if span <= 50 else 5.0


def bin_by_temperature(per_degree: pd.DataFrame) -> pd.DataFrame:
    """Counts per whole degree (``degree``, ``recordings``, ``with_calls``) in bins of
    :func:`bin_width`: centre, counts and the share with calls; empty bins left out."""
    if per_degree.empty:
        return pd.DataFrame(columns=BIN_COLUMNS)
    width = bin_width(per_degree["degree"])
    centre = (np.floor(per_degree["degree"] / width) + 0.5) * width
    out = (
        per_degree.assign(temperature_c=centre)
        .groupby("temperature_c")[["recordings", "with_calls"]]
        .sum()
    )
    out = out[out["recordings"] > 0]
    out["share"] = out["with_calls"] / out["recordings"]
    return out.reset_index()[BIN_COLUMNS]


def nights_by_temperature(per_night: pd.DataFrame) -> pd.DataFrame:
    """Per site and night (``temperature_c`` mean, ``recordings``, ``with_calls``): the share
    of recordings with calls."""
    if per_night.empty:
        return pd.DataFrame(columns=NIGHT_COLUMNS)
    out = per_night.assign(share=per_night["with_calls"] / per_night["recordings"])
    return out[NIGHT_COLUMNS].reset_index(drop=True)


def fit_logistic(bins: pd.DataFrame) -> LogisticFit | None:
    """Fit :func:`logistic` to the bins, weighted by their counts.

    Returns
    -------
    LogisticFit or None
        ``None`` when there are fewer than :data:`MIN_BINS_TO_FIT` bins, no calls at all,
        or the fit does not converge (the page then shows the bins alone).
    """
    if len(bins) < MIN_BINS_TO_FIT or bins["with_calls"].sum() == 0:
        return None
    from scipy.optimize import curve_fit

    t = bins["temperature_c"].to_numpy(float)
    share = bins["share"].to_numpy(float)
    sigma = 1.0 / np.sqrt(bins["recordings"].to_numpy(float))
    start = (max(share.max(), 0.01), 0.5, float(np.median(t)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (p_max, slope, t50), _ = curve_fit(
                logistic,
                t,
                share,
                p0=start,
                sigma=sigma,
                maxfev=5000,
                bounds=([1e-6, -10.0, t.min() - 10], [1.0, 10.0, t.max() + 10]),
            )
    except (RuntimeError, ValueError) as exc:
        logger.debug("logistic fit failed: %s", exc)
        return None
    if not all(math.isfinite(v) for v in (p_max, slope, t50)):
        return None
    return LogisticFit(float(p_max), float(slope), float(t50))
