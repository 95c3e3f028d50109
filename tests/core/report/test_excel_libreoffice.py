"""The workbook opens in a real spreadsheet program: LibreOffice renders it to PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from core.report.excel import write_report_workbook
from core.report.tables import build_report
from tests.conftest import _missing
from tests.core.report import report_frames as rf


@pytest.mark.slow
def test_libreoffice_renders_the_workbook_to_pdf(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        _missing("LibreOffice (soffice; scripts/setup.sh --test installs it)")
    tables = build_report(rf.recordings(), rf.detections(), rf.window_summary(), rf.meta())
    book = write_report_workbook(tmp_path / "Pond A.xlsx", tables)
    out = tmp_path / "pdf"
    # A profile of its own: no clash with a LibreOffice the user has open, nor with a
    # parallel test run.
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(out), str(book)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    pdf = out / "Pond A.pdf"
    assert proc.returncode == 0, proc.stderr
    assert pdf.is_file(), f"no PDF; soffice said: {proc.stdout} {proc.stderr}"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    # Four sheets of text and tables, not an empty page: over 10 kB, a page per sheet at least.
    assert len(data) > 10_000
    pages = re.findall(rb"/Type\s*/Page(?![s\w])", data)
    assert len(pages) >= 4, f"{len(pages)} pages for four sheets"
