"""The review loop: build a data set, train, register, detect with the new model, review,
and build the next data set from the reviews."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from core.training.config import save_config
from db.models import Detection, ModelVersion
from db.reviews import add_review
from db.session import get_engine, session_scope
from flows.dataset import build_dataset
from flows.detect import detect_calls
from flows.ingest import ingest_recordings
from flows.train import train_model
from tests.core.training.synthetic import (
    dataset_config,
    tiny_train_config,
    write_label_folders,
    write_recording,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_reviews_teach_the_next_model(tmp_path: Path, database_url: str) -> None:
    write_label_folders(tmp_path / "labelled", per_label=6, seconds=2.0)
    dataset_yaml = save_config(dataset_config(), tmp_path / "dataset.yaml")
    train_yaml = save_config(tiny_train_config(epochs=4), tmp_path / "train.yaml")
    summary = build_dataset(
        str(tmp_path / "set1"), folders=[str(tmp_path / "labelled")], config=str(dataset_yaml)
    )
    assert sum(summary["recordings"].values()) == 12

    trained = train_model(
        str(tmp_path / "set1"),
        str(tmp_path / "run1"),
        config=str(train_yaml),
        database_url=database_url,
        hop_s=1.0,
    )
    assert Path(trained["checkpoint"]).is_file()
    assert json.loads((tmp_path / "run1" / "test_metrics.json").read_text())["clips"]["clips"] > 0
    written = {p.name for p in (tmp_path / "run1").iterdir()}
    assert {"report.md", "pr_curve.png", "score_histogram.png"} <= written
    with session_scope(get_engine(database_url)) as session:
        (version,) = session.exec(select(ModelVersion)).all()
        assert version.checkpoint_sha256 == trained["sha256"]
        assert version.settings["training"]["data"]["labels"] == ["Frog", "Negative"]
        assert version.settings["training"]["test"]["average_precision"] is not None
        assert version.settings["training"]["run_dir"] == str((tmp_path / "run1").resolve())

    # the field: tone recordings (calls) and noise; detect with the trained model
    write_recording(
        tmp_path / "field" / "pond" / "20240501_210000.WAV", tone=True, seconds=3.0, seed=7
    )
    write_recording(
        tmp_path / "field" / "pond" / "20240501_220000.WAV", tone=False, seconds=3.0, seed=8
    )
    ingest_recordings(roots=[str(tmp_path / "field")], database_url=database_url, settle_s=0)
    detect_calls(
        database_url=database_url,
        checkpoint=trained["checkpoint"],
        model_card=trained["card"],
        device="cpu",
        hop_s=1.0,
    )
    with session_scope(get_engine(database_url)) as session:
        versions = session.exec(select(ModelVersion)).all()
        assert [v.id for v in versions] == [version.id]  # detect found the trained version
        detections = session.exec(select(Detection)).all()
        assert detections, "the trained model found no call in the tone recording"
        add_review(
            session=session, detection_id=detections[0].id, verdict="confirmed", reviewer="ann"
        )
        reviewed = (detections[0].start_s, detections[0].end_s)

    summary2 = build_dataset(
        str(tmp_path / "set2"),
        from_reviews=True,
        database_url=database_url,
        config=str(
            save_config(
                dataset_config(split={"train": 1.0, "validation": 0.0, "test": 0.0}),
                tmp_path / "d2.yaml",
            )
        ),
    )
    assert summary2["clips"]["train"]["Frog"] == 1
    clips = (tmp_path / "set2" / "clips.csv").read_text().splitlines()
    confirmed = [line for line in clips if ",confirmed," in line]
    assert len(confirmed) == 1 and "20240501_210000" in confirmed[0]
    assert reviewed[0] <= float(confirmed[0].split(",")[6]) <= reviewed[1]
