"""Presence per recording and per site-night: what a survey reports, from clip scores.

A monitoring programme asks "were frogs calling at this pond that night?", not "is this
10-second clip a call?". A group (a recording, or a site on one night) is positive for a
label when any of its clips is; its score is the highest clip score, so it is called
positive when any clip is called at the same threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np


def recording_key(entry: dict) -> str:
    """The recording of a datafile entry (its ``wav`` when the entry names none)."""
    return entry.get("recording") or entry["wav"]


def night_key(entry: dict) -> tuple[str, str] | None:
    """``(site, night)`` of a datafile entry, ``None`` when its night is unknown.

    Clips without a site share the site ``"-"``; a night is the ISO date of the local
    evening the recording started (as the data set writes it).
    """
    night = entry.get("night")
    return (entry.get("site") or "-", str(night)) if night else None


def presence(
    entries: Sequence[dict],
    targets: np.ndarray,
    scores: np.ndarray,
    key: Callable[[dict], Hashable | None],
) -> tuple[list[Hashable], np.ndarray, np.ndarray]:
    """Group clips by ``key``: per group the maximum target and the maximum score.

    Parameters
    ----------
    entries
        Datafile entries, one per clip.
    targets, scores
        ``(clips, labels)`` arrays in the order of ``entries``.
    key
        The group of an entry; entries whose key is ``None`` are left out.

    Returns
    -------
    tuple
        The groups (in order of first appearance), their targets and scores
        ``(groups, labels)``.
    """
    rows: dict[Hashable, list[int]] = {}
    for i, entry in enumerate(entries):
        group = key(entry)
        if group is not None:
            rows.setdefault(group, []).append(i)
    width = np.asarray(targets).shape[1] if np.ndim(targets) == 2 else 0
    if not rows:
        return [], np.zeros((0, width)), np.zeros((0, width))
    t, s = np.asarray(targets, dtype=float), np.asarray(scores, dtype=float)
    groups = list(rows)
    return (
        groups,
        np.array([t[rows[g]].max(axis=0) for g in groups]),
        np.array([s[rows[g]].max(axis=0) for g in groups]),
    )
