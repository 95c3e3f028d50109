"""Report queries on SQLite and PostgreSQL: one site, a range of nights, one model version."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from core.errors import ConfigError
from core.report.tables import build_report
from db import reports
from db.session import session_scope
from tests.db import report_seed as seed


@pytest.fixture
def ids(engine: sa.Engine) -> dict[str, int]:
    return seed.seed(engine)


def test_recordings_frame_keeps_to_the_site_and_the_model(engine, ids) -> None:
    with session_scope(engine) as session:
        frame = reports.recordings_frame(
            session=session, site_id=_site_id(session), model_version_id=ids["v1"]
        )
    rows = frame.set_index("recording_id")
    assert ids["creek"] not in rows.index and len(rows) == 5
    calls = rows.loc[ids["calls"]]
    assert calls["file_name"] == "/cards/20240301_190000.WAV"
    assert calls["device_id"] == "AudioMoth 249BC30461CBB1E6"
    assert calls["utc_offset_min"] == -480 and calls["temperature_c"] == 9.3
    assert calls["recorded_at"].tzinfo is not None and calls["recorded_at"].hour == 3
    assert (calls["status"], bool(calls["analysed"])) == ("done", True)
    failed = rows.loc[ids["failed"]]
    assert (failed["status"], bool(failed["analysed"])) == ("failed", False)
    assert "more audio" in failed["error"]
    never = rows.loc[ids["unreadable"]]  # not queued: the recording's own status and reason
    assert (never["status"], never["error"], bool(never["analysed"])) == (
        "failed",
        "not a RIFF/WAVE file",
        False,
    )


def test_detections_carry_their_latest_review(engine, ids) -> None:
    with session_scope(engine) as session:
        frame = reports.detections_frame(
            session=session, site_id=_site_id(session), model_version_id=ids["v1"]
        )
    assert list(frame["recording_id"]) == [ids["calls"], ids["calls"]]  # not Upper Creek's
    first, second = frame.to_dict("records")
    assert (first["start_s"], first["end_s"], first["label"]) == (0.0, 20.0, "Rana draytonii")
    assert (first["verdict"], first["reviewer"], first["note"]) == ("confirmed", "ann", "+cmd")
    assert first["reviewed_at"].day == 2 and first["max_score"] == 0.9
    assert (second["verdict"], second["note"]) == ("rejected", "wind")


def test_window_summary_reads_the_label_score_from_each_window(engine, ids) -> None:
    with session_scope(engine) as session:
        mv = reports.resolve_model_version(session=session, model="AST_Rana_Draytonii:1.0")
        frame = reports.window_summary_frame(
            session=session, site_id=_site_id(session), model_version=mv, labels=[seed.FROG]
        )
    rows = frame.set_index("recording_id")
    assert rows.loc[ids["calls"], "max_score"] == pytest.approx(0.9)
    assert rows.loc[ids["calls"], "positive_windows"] == 4
    # No window was positive, yet the frog's best score is still reported.
    assert rows.loc[ids["night3"], "max_score"] == pytest.approx(0.3)
    assert rows.loc[ids["night3"], "positive_windows"] == 0
    assert ids["failed"] not in rows.index and ids["creek"] not in rows.index


def test_model_is_chosen_by_name_version_or_latest_results(engine, ids) -> None:
    with session_scope(engine) as session:

        def pick(model: str | None) -> int:
            site_id = _site_id(session)
            return reports.resolve_model_version(session=session, model=model, site_id=site_id).id

        assert pick("AST_Rana_Draytonii:1.0") == ids["v1"]
        assert pick("AST_Rana_Draytonii:2.0") == ids["v2"]
        assert pick("AST_Rana_Draytonii") == ids["v2"]  # newest of that name
        assert pick(None) == ids["v2"]  # newest with finished runs at the site
        # 2.0 never ran at Upper Creek: its report is of 1.0, the newest that did.
        creek = reports.require_site(session=session, name=seed.OTHER_SITE).id
        assert reports.resolve_model_version(session=session, site_id=creek).id == ids["v1"]
        with pytest.raises(ConfigError, match=r"known: AST_Rana_Draytonii:1\.0, .*2\.0"):
            pick("AST_Rana_Draytonii:9.9")


def test_unknown_site_lists_the_known_ones(engine, ids) -> None:
    with session_scope(engine) as session, pytest.raises(ConfigError) as err:
        reports.load_site_report(session=session, site="Laguna")
    assert "'Laguna'" in str(err.value) and "Laguna Pond, Upper Creek" in str(err.value)


def test_reversed_range_is_refused(engine, ids) -> None:
    with session_scope(engine) as session, pytest.raises(ConfigError, match="swap"):
        reports.load_site_report(
            session=session, site=seed.SITE, date_from=date(2024, 3, 5), date_to=date(2024, 3, 1)
        )


def test_site_report_end_to_end(engine, ids) -> None:
    with session_scope(engine) as session:
        data = reports.load_site_report(
            session=session,
            site=seed.SITE,
            date_from=date(2024, 3, 1),
            date_to=date(2024, 3, 4),
            model="AST_Rana_Draytonii:1.0",
        )
    meta = data.meta
    assert (meta.model_tag, meta.checkpoint_sha256) == ("AST_Rana_Draytonii:1.0", "a" * 64)
    assert meta.target_labels == (seed.FROG,) and meta.devices == ("AudioMoth 249BC30461CBB1E6",)
    assert (meta.latitude, meta.longitude) == (37.1, -122.3) and "argmax" in meta.decision_rule
    tables = build_report(data.recordings, data.detections, data.window_summary, meta)
    res = tables.results.set_index("File Name")
    assert list(res.index) == [
        "20240301_190000", '=HYPERLINK("x")', "20240303_190000", "20240303_210000",
        "20240304_190000",
    ]  # fmt: skip
    assert res.loc["20240301_190000", "Prediction"] == "Positive"
    assert res.loc["20240301_190000", "Times Heard"] == "0-20, 40-60"
    assert res.loc["20240301_190000", "Timestamp"] == "19:00:00 01/03/2024 (UTC-8)"
    assert res.loc["20240301_190000", "Review Date"] == date(2024, 4, 2)
    assert res.loc["20240303_190000", "Prediction"] == "Negative"
    assert res.loc["20240303_210000", "Prediction"] == "Not analysed"
    assert res.loc["20240304_190000", "Prediction"] == "Not analysed"
    efforts = dict(zip(tables.nights["Night"], tables.nights["Effort"], strict=True))
    assert efforts == {
        date(2024, 3, 1): "calls",
        date(2024, 3, 2): "no audio",
        date(2024, 3, 3): "no calls",
        date(2024, 3, 4): "not analysed",
    }


def test_range_keeps_whole_local_nights(engine, ids) -> None:
    # The night of 3 March only: its 19:00 and 21:00 recordings, not 1 or 4 March.
    with session_scope(engine) as session:
        data = reports.load_site_report(
            session=session, site=seed.SITE, date_from=date(2024, 3, 3), date_to=date(2024, 3, 3)
        )
    tables = build_report(data.recordings, data.detections, data.window_summary, data.meta)
    assert list(tables.results["File Name"]) == ["20240303_190000", "20240303_210000"]
    assert data.meta.model_tag == "AST_Rana_Draytonii:2.0"  # default: newest with results
    assert list(tables.nights["Night"]) == [date(2024, 3, 3)]


def _site_id(session) -> int:
    return reports.require_site(session=session, name=seed.SITE).id


def test_name_version_is_split_at_the_last_colon() -> None:
    assert reports.split_model_tag("AST_Rana_Draytonii:1.0") == ("AST_Rana_Draytonii", "1.0")
    assert reports.split_model_tag("hf:org/model:2") == ("hf:org/model", "2")
    assert reports.split_model_tag("AST_Rana_Draytonii") == ("AST_Rana_Draytonii", None)
    assert reports.split_model_tag("AST:") == ("AST", None)
