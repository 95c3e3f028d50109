"""The split never leaks a recording (nor a site or night when grouped so), and is stratified."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import DatasetError
from core.training.config import SplitConfig
from core.training.splits import SPLITS, Clip, check_no_leak, split_clips


def _clip(recording: str, label: str, start_s: float = 0.0, site=None, night=None) -> Clip:
    return Clip(
        wav=f"/clips/{recording}_{start_s}.wav",
        label=label,
        recording=recording,
        site=site,
        night=night,
        start_s=start_s,
        duration_s=10.0,
        source="folder",
        source_path=f"/audio/{recording}.wav",
    )


def _clips(spec: list[tuple[int, str, int, int]]) -> list[Clip]:
    # (n_clips, label, site, night) per recording
    return [
        _clip(f"rec{r}", label, 10.0 * k, site=f"site{site}", night=f"2024-05-{night + 1:02d}")
        for r, (n, label, site, night) in enumerate(spec)
        for k in range(n)
    ]


recordings = st.lists(
    st.tuples(
        st.integers(1, 12),
        st.sampled_from(["Frog", "Negative", "Bullfrog"]),
        st.integers(0, 4),
        st.integers(0, 6),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    spec=recordings, seed=st.integers(0, 10_000), by=st.sampled_from(["recording", "site", "night"])
)
def test_no_group_is_in_two_splits(spec, seed: int, by: str) -> None:
    clips = _clips(spec)
    splits = split_clips(clips, SplitConfig(group_by=by, seed=seed))
    check_no_leak(splits, by)  # raises on a leak
    homes = {}
    for split, members in splits.items():
        for clip in members:
            key = clip.recording if by == "recording" else getattr(clip, by)
            assert homes.setdefault(key, split) == split
    assert sorted(c.wav for s in SPLITS for c in splits[s]) == sorted(c.wav for c in clips)


def test_stratified_shares_and_seeded() -> None:
    spec = [(3, "Frog", i % 5, i % 7) for i in range(40)] + [
        (3, "Negative", i % 5, i % 7) for i in range(40)
    ]
    clips = _clips(spec)
    splits = split_clips(clips, SplitConfig(seed=3))
    for label in ("Frog", "Negative"):
        counts = Counter(c.label for c in splits["train"])
        assert counts[label] == pytest.approx(0.7 * 120, abs=6)
        assert sum(c.label == label for c in splits["test"]) == pytest.approx(18, abs=6)
    again = split_clips(clips, SplitConfig(seed=3))
    assert {s: [c.wav for c in v] for s, v in splits.items()} == {
        s: [c.wav for c in v] for s, v in again.items()
    }
    other = split_clips(clips, SplitConfig(seed=4))
    assert [c.wav for c in other["test"]] != [c.wav for c in splits["test"]]


def test_few_recordings_still_fill_every_split() -> None:
    clips = _clips([(5, "Frog", 0, 0), (2, "Frog", 0, 0), (1, "Negative", 0, 0)])
    splits = split_clips(clips, SplitConfig())
    assert all(splits[s] for s in SPLITS)


def test_a_recording_over_midnight_noon_is_not_divided_by_night() -> None:
    clips = [
        _clip("long", "Frog", 0.0, night="2024-05-01"),
        _clip("long", "Frog", 10.0, night="2024-05-02"),
    ]
    clips += [_clip(f"r{i}", "Frog", night=f"2024-05-{i + 3:02d}") for i in range(6)]
    splits = split_clips(clips, SplitConfig(group_by="night"))
    assert len({s for s, v in splits.items() for c in v if c.recording == "long"}) == 1


def test_leak_check_names_the_recording() -> None:
    leaky = {
        "train": [_clip("a", "Frog", 0.0)],
        "validation": [],
        "test": [_clip("a", "Frog", 10.0)],
    }
    with pytest.raises(DatasetError, match="recording:a in test, train"):
        check_no_leak(leaky)
    by_site = {
        "train": [_clip("a", "Frog", site="pond")],
        "test": [_clip("b", "Frog", site="pond")],
    }
    check_no_leak(by_site)  # by recording: fine
    with pytest.raises(DatasetError, match="site:pond"):
        check_no_leak(by_site, "site")
