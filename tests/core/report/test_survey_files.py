"""Survey CSVs load back with pandas into the unmarked layout, equal to the frames."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from core.report.survey import SurveySite, SurveySpec, build_survey
from core.report.survey_files import write_survey_files
from tests.core.report import survey_frames as sf

MARCH = {"date_from": date(2024, 3, 1), "date_to": date(2024, 3, 6)}


def _matrix(path: Path) -> pd.DataFrame:
    # What R's read.csv(row.names = 1) sees; "NA" is a missing value in both.
    return pd.read_csv(path, index_col=0)


def test_csvs_read_back_as_the_unmarked_matrices(tmp_path: Path) -> None:
    survey = build_survey(sf.season(), SurveySpec(labels=[sf.FROG], occasion_nights=3, **MARCH))
    written = write_survey_files(tmp_path, survey, about=[("Model", "AST:1.0")])
    names = {p.name for p in written}
    assert {"README.txt", "y_rana_draytonii_model.csv", "y_rana_draytonii_confirmed.csv",
            "effort_minutes.csv", "obs_temperature_c.csv", "site_covs.csv", "occasions.csv",
            "nights_long.csv", "obs_covs_long.csv", "camtrapR_camop.csv",
            "camtrapR_records.csv"} <= names  # fmt: skip
    for rule in ("model", "confirmed"):
        y = _matrix(tmp_path / f"y_rana_draytonii_{rule}.csv")
        expected = survey.detected[(sf.FROG, rule)].astype(float)
        assert list(y.columns) == ["2024-03-01", "2024-03-04"]
        np.testing.assert_array_equal(y.to_numpy(dtype=float), expected.to_numpy())
        assert list(y.index) == ["Gap Pond", "Dry Creek", "Nowhere"]
    effort = _matrix(tmp_path / "effort_minutes.csv")
    assert effort.to_numpy().tolist() == [[180.0, 60.0], [180.0, 180.0], [0.0, 0.0]]
    site_covs = _matrix(tmp_path / "site_covs.csv")
    assert list(site_covs.index) == list(y.index)  # siteCovs rows match y rows
    assert site_covs.loc["Gap Pond", "latitude"] == 37.1
    raw = (tmp_path / "y_rana_draytonii_model.csv").read_text(encoding="utf-8")
    assert raw.splitlines()[3] == "Nowhere,NA,NA"
    # unmarked's data-frame obsCovs: M x J rows, site-major, same order as y.
    long = pd.read_csv(tmp_path / "obs_covs_long.csv")
    assert len(long) == 3 * 2
    assert list(zip(long["site"], long["occasion"], strict=True))[:3] == [
        ("Gap Pond", "2024-03-01"), ("Gap Pond", "2024-03-04"), ("Dry Creek", "2024-03-01"),
    ]  # fmt: skip
    assert long["effort_minutes"].tolist() == effort.to_numpy().ravel().tolist()
    readme = (tmp_path / "README.txt").read_text(encoding="utf-8")
    assert "unmarkedFrameOccu" in readme and "R is not installed" in readme
    assert "Model: AST:1.0" in readme


def test_camtrapr_tables(tmp_path: Path) -> None:
    survey = build_survey(sf.season(), SurveySpec(labels=[sf.FROG], **MARCH))
    write_survey_files(tmp_path, survey)
    camop = _matrix(tmp_path / "camtrapR_camop.csv")
    assert camop.loc["Gap Pond"].tolist() == [1, 1, 0, 0, 1, 0]
    assert camop.loc["Nowhere"].tolist() == [0] * 6
    records = pd.read_csv(tmp_path / "camtrapR_records.csv")
    assert records["DateTimeOriginal"].tolist() == [
        "2024-03-01 20:10:00", "2024-03-03 02:10:00", "2024-03-05 20:30:00",
    ]  # fmt: skip
    assert records["Confirmed"].tolist() == [True, False, False]


def test_a_site_name_that_looks_like_a_formula_is_the_same_guarded_row_everywhere(
    tmp_path: Path,
) -> None:
    pond = sf.gap_pond()
    odd = SurveySite("=cmd|' /C calc'!A0", pond.recordings, pond.detections, pond.window_summary)
    survey = build_survey([odd], SurveySpec(labels=[sf.FROG], **MARCH))
    write_survey_files(tmp_path, survey)
    y = _matrix(tmp_path / "y_rana_draytonii_model.csv")
    covs = _matrix(tmp_path / "site_covs.csv")
    assert list(y.index) == list(covs.index) == ["'=cmd|' /C calc'!A0"]


def test_the_workbook_survey_sheet_matches_the_csv(tmp_path: Path) -> None:
    import openpyxl

    from core.report.excel import write_report_workbook
    from core.report.tables import ReportMeta, build_report

    pond = sf.gap_pond()
    meta = ReportMeta("Gap Pond", "AST", "1.0", target_labels=(sf.FROG,), **MARCH)
    tables = build_report(pond.recordings, pond.detections, pond.window_summary, meta)
    book = openpyxl.load_workbook(write_report_workbook(tmp_path / "g.xlsx", tables))
    sheet = list(book["Survey"].iter_rows(values_only=True))
    header, rows = sheet[0], sheet[1:]
    write_survey_files(tmp_path / "s", build_survey([pond], SurveySpec(labels=[sf.FROG], **MARCH)))
    for rule in ("model", "confirmed"):
        csv_row = pd.read_csv(tmp_path / "s" / f"y_rana_draytonii_{rule}.csv", index_col=0,
                              keep_default_na=False).loc["Gap Pond"]  # fmt: skip
        column = header.index(f"Detected ({sf.FROG}, {rule})")
        assert [str(r[column]) for r in rows] == [str(v) for v in csv_row]
    effort = pd.read_csv(tmp_path / "s" / "effort_minutes.csv", index_col=0).loc["Gap Pond"]
    assert [r[header.index("Usable Audio (min)")] for r in rows] == effort.tolist()
    assert [r[0].date().isoformat() for r in rows] == list(effort.index)
