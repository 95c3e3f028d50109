"""Data sets from label folders and tables: clips, labels.csv, AST datafiles, summary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from core.audio.io import read_info
from core.errors import DatasetError
from core.training.clips import clip_starts
from core.training.config import BandpassConfig, DatasetConfig, load_config, save_config
from core.training.datafile import read_datafile, read_labels_csv
from core.training.dataset import prepare_dataset
from core.training.examples import Example, examples_from_folders, examples_from_table
from core.training.splits import SPLITS, find_leaks

from .synthetic import dataset_config, write_label_folders, write_recording


def test_folders_make_clips_datafiles_and_summary(tmp_path: Path) -> None:
    write_label_folders(tmp_path / "src", per_label=5, seconds=2.5)
    examples = examples_from_folders(tmp_path / "src")
    ds = prepare_dataset(examples, tmp_path / "ds", dataset_config(min_clip_s=0.4))
    assert ds.labels == ["Frog", "Negative"]
    assert read_labels_csv(ds.labels_csv) == [("frog", "Frog"), ("negative", "Negative")]
    entries = {s: json.loads(ds.datafiles[s].read_text())["data"] for s in SPLITS}
    total = sum(len(v) for v in entries.values())
    assert total == 10 * 3  # 2.5 s files: clips at 0, 1 and 2 s (the last 0.5 s long)
    for entry in entries["train"]:
        assert {"wav", "labels"} <= set(entry) and entry["labels"] in {"frog", "negative"}
        info = read_info(entry["wav"])
        assert (info.samplerate_hz, info.channels) == (16_000, 1)
        assert info.duration_s == pytest.approx(1.0 if entry["start_s"] < 2 else 0.5, abs=1e-3)
    recordings = {s: [e["recording"] for e in entries[s]] for s in SPLITS}
    assert find_leaks(recordings) == {}
    summary = json.loads((tmp_path / "ds" / "summary.json").read_text())
    assert sum(summary["clips"]["train"].values()) == len(entries["train"])
    assert sum(summary["recordings"].values()) == 10
    assert load_config(DatasetConfig, tmp_path / "ds" / "dataset.yaml") == ds.config


def test_csv_table_clips_centre_on_events_with_offset(tmp_path: Path) -> None:
    write_recording(tmp_path / "a.wav", tone=True, seconds=20.0)
    table = tmp_path / "sel.csv"
    table.write_text(
        "file,start_s,end_s,label,site\na.wav,8,9,Frog,Pond A\na.wav,0,0.5,Frog,Pond A\n"
    )
    examples = examples_from_table(table)
    assert [e.site for e in examples] == ["Pond A", "Pond A"]
    cfg = DatasetConfig(clip_s=4.0, jitter_s=0.0, offset_s=1.0)
    rng = np.random.default_rng(0)
    assert clip_starts(examples[0], 20.0, cfg, rng) == [8.5 - 2.0 + 1.0]
    assert clip_starts(examples[1], 20.0, cfg, rng) == [0.0]  # kept inside the recording
    jittered = DatasetConfig(clip_s=4.0, jitter_s=1.0)
    starts = [clip_starts(examples[0], 20.0, jittered, rng)[0] for _ in range(50)]
    assert min(starts) >= 5.5 and max(starts) <= 7.5 and len(set(starts)) > 40


def test_raven_table_finds_its_sound_file(tmp_path: Path) -> None:
    write_recording(tmp_path / "rec1.wav", tone=True, seconds=5.0)
    table = tmp_path / "rec1.Table.1.selections.txt"
    header = "\t".join(
        ["Selection", "View", "Channel", "Begin Time (s)", "End Time (s)", "Low Freq (Hz)"]
        + ["High Freq (Hz)", "Label"]
    )
    table.write_text(header + "\n1\tSpectrogram 1\t1\t1.0\t2.0\t0\t8000\tRana draytonii\n")
    (example,) = examples_from_table(table)
    assert (example.path, example.start_s, example.end_s, example.label) == (
        tmp_path / "rec1.wav",
        1.0,
        2.0,
        "Rana draytonii",
    )


def test_bad_table_row_is_named(tmp_path: Path) -> None:
    table = tmp_path / "bad.csv"
    table.write_text("file,start_s,end_s,label\na.wav,x,2,Frog\n")
    with pytest.raises(DatasetError, match="line 2"):
        examples_from_table(table)


def test_unreadable_file_is_skipped_with_reason(tmp_path: Path) -> None:
    write_label_folders(tmp_path / "src", per_label=3, seconds=1.0)
    (tmp_path / "src" / "Frog" / "broken.wav").write_bytes(b"not a wav at all")
    ds = prepare_dataset(examples_from_folders(tmp_path / "src"), tmp_path / "ds", dataset_config())
    assert [Path(p).name for p, _ in ds.skipped] == ["broken.wav"]
    assert sum(sum(v.values()) for v in ds.summary["clips"].values()) == 6


def test_bandpass_is_applied_before_resampling(tmp_path: Path) -> None:
    rate = 32_000
    t = np.arange(2 * rate) / rate
    mix = 0.4 * np.sin(2 * np.pi * 1000 * t) + 0.4 * np.sin(2 * np.pi * 6000 * t)
    (tmp_path / "src" / "Frog").mkdir(parents=True)
    soundfile.write(tmp_path / "src" / "Frog" / "mix.wav", mix.astype(np.float32), rate)
    cfg = dataset_config(
        bandpass=BandpassConfig(low_hz=500, high_hz=2000),
        split={"train": 1.0, "validation": 0.0, "test": 0.0},
    )
    ds = prepare_dataset(examples_from_folders(tmp_path / "src"), tmp_path / "ds", cfg)
    wav = read_datafile(ds.datafiles["train"])[0]["wav"]
    clip, _ = soundfile.read(wav)
    spectrum = np.abs(np.fft.rfft(clip))
    freqs = np.fft.rfftfreq(len(clip), 1 / 16_000)
    assert (
        spectrum[np.argmin(np.abs(freqs - 6000))] < 0.01 * spectrum[np.argmin(np.abs(freqs - 1000))]
    )


def test_unknown_label_and_empty_input_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no examples"):
        prepare_dataset([], tmp_path)
    example = Example(path=tmp_path / "x.wav", label="Toad")
    with pytest.raises(DatasetError, match="Toad"):
        prepare_dataset([example], tmp_path, DatasetConfig(labels=["Frog", "Negative"]))


def test_config_round_trips_yaml(tmp_path: Path) -> None:
    cfg = DatasetConfig(bandpass=BandpassConfig(), labels=["Frog", "Negative"])
    assert load_config(DatasetConfig, save_config(cfg, tmp_path / "d.yaml")) == cfg
