"""Splits by recording (or site, or night), never by clip; stratified, seeded, leak-checked.

Clips of one recording in two splits inflated the original accuracy: neighbouring clips of
one night share the background, the recorder and often the same calling frog. Here whole
groups go to one split. A recording's group is the site or night of its first clip, so a
recording is never divided even when grouping by night. Groups are dealt, largest first
(ties in seeded random order), to the split that lacks most of the group's labels relative
to its share, which keeps every label's share near ``train``/``validation``/``test``.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.errors import DatasetError
from core.training.config import SplitConfig

SPLITS: tuple[str, ...] = ("train", "validation", "test")


@dataclass(frozen=True)
class Clip:
    """One written clip: its file, label and what groups it."""

    wav: str
    label: str
    recording: str
    site: str | None
    night: str | None  # ISO date of the local night, None when the time is unknown
    start_s: float
    duration_s: float
    source: str
    source_path: str


def group_key(clip: Clip, by: str) -> str:
    """The split group of one clip (``recording``, ``site`` or ``night``).

    Clips without a site or night fall back to their own recording.
    """
    if by == "site" and clip.site:
        return f"site:{clip.site}"
    if by == "night" and clip.night:
        return f"night:{clip.night}"
    return f"recording:{clip.recording}"


def recording_groups(clips: Iterable[Clip], by: str) -> dict[str, str]:
    """Recording -> group key: the key of the recording's first clip (so never divided)."""
    first: dict[str, Clip] = {}
    for clip in clips:
        seen = first.get(clip.recording)
        if seen is None or clip.start_s < seen.start_s:
            first[clip.recording] = clip
    return {recording: group_key(clip, by) for recording, clip in first.items()}


def split_clips(clips: Sequence[Clip], cfg: SplitConfig) -> dict[str, list[Clip]]:
    """Deal whole groups of clips to train/validation/test.

    Returns
    -------
    dict[str, list[Clip]]
        Every split name of :data:`SPLITS` (empty lists for a zero share), clips in input
        order. Deterministic for a given ``cfg.seed``.
    """
    groups_of = recording_groups(clips, cfg.group_by)
    groups: dict[str, list[Clip]] = defaultdict(list)
    for clip in clips:
        groups[groups_of[clip.recording]].append(clip)
    fractions = cfg.fractions
    active = [s for s in SPLITS if fractions[s] > 0]
    total = Counter(clip.label for clip in clips)
    have: dict[str, Counter[str]] = {s: Counter() for s in SPLITS}
    members: dict[str, list[str]] = {s: [] for s in SPLITS}
    keys = sorted(groups)
    random.Random(cfg.seed).shuffle(keys)
    keys.sort(key=lambda k: -len(groups[k]))  # stable: ties keep the seeded order

    def lack(split: str, counts: Counter[str]) -> float:
        return sum(
            n * (fractions[split] * total[label] - have[split][label]) / total[label]
            for label, n in counts.items()
        )

    for key in keys:
        counts = Counter(clip.label for clip in groups[key])
        best = max(active, key=lambda s: (lack(s, counts), fractions[s]))
        have[best].update(counts)
        members[best].append(key)
    _fill_empty(members, active, groups)
    chosen = {key: split for split, keys_ in members.items() for key in keys_}
    out: dict[str, list[Clip]] = {s: [] for s in SPLITS}
    for clip in clips:
        out[chosen[groups_of[clip.recording]]].append(clip)
    return out


def _fill_empty(
    members: dict[str, list[str]], active: list[str], groups: Mapping[str, list[Clip]]
) -> None:
    # few groups: give an empty split the smallest group of the split that has most groups
    for split in active:
        if members[split]:
            continue
        donor = max(active, key=lambda s: len(members[s]))
        if len(members[donor]) < 2:
            return
        smallest = min(members[donor], key=lambda k: len(groups[k]))
        members[donor].remove(smallest)
        members[split].append(smallest)


def find_leaks(splits: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Keys (recordings, sites, nights) found in more than one split, with those splits."""
    where: dict[str, set[str]] = defaultdict(set)
    for split, keys in splits.items():
        for key in keys:
            where[key].add(split)
    return {key: sorted(s) for key, s in sorted(where.items()) if len(s) > 1}


def check_no_leak(splits: Mapping[str, Sequence[Clip]], by: str = "recording") -> None:
    """Refuse splits that share a recording (or, grouped by site/night, a group).

    Raises
    ------
    DatasetError
        Naming up to five leaking keys and their splits.
    """
    keys = {"recording"} | ({by} if by != "recording" else set())
    for attr in sorted(keys):
        leaks = find_leaks(
            {
                split: [group_key(c, attr) for c in clips]
                if attr == "recording"
                else list(recording_groups(clips, attr).values())
                for split, clips in splits.items()
            }
        )
        if leaks:
            shown = "; ".join(f"{k} in {', '.join(v)}" for k, v in list(leaks.items())[:5])
            raise DatasetError(
                f"the split leaks {len(leaks)} {attr} group(s) across splits: {shown}"
            )
