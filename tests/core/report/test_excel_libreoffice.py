"""The workbook opens in a real spreadsheet program: LibreOffice renders it to a legible PDF.

Checked on the PDF's words (``pdftotext -bbox``): no two words overprint each other (wrapped
cells used to print over the next rows: the Error column of Results, Devices and Decision
Rule on About), every word of those long cells is there, and no page shrinks the type
below 8 pt.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from core.report.excel import write_report_workbook
from core.report.tables import build_report
from tests.conftest import _missing
from tests.core.report import report_frames as rf

ERROR = (
    "header promises 57600044 bytes of audio but the file holds 1048576: the card was "
    "removed while the recorder was writing; the first 32.7 s are readable, the rest is lost"
)
RULE = (
    "argmax (the original rule): a window is positive when a target label scores highest; "
    "consecutive positive windows of one label form an event; a recording is Positive when "
    "it has at least one event"
)
DEVICES = tuple(f"AudioMoth 249BC30461CBB1E{k}" for k in range(6))
_WORD = re.compile(
    r'<page width="(?P<pw>[\d.]+)"|<word xMin="(?P<x0>[\d.]+)" yMin="(?P<y0>[\d.]+)" '
    r'xMax="(?P<x1>[\d.]+)" yMax="(?P<y1>[\d.]+)">(?P<text>[^<]*)</word>'
)


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None or shutil.which("pdftotext") is None:
        _missing("LibreOffice and poppler's pdftotext (scripts/setup.sh --test installs them)")
    assert found is not None
    return found


def _render(tmp_path: Path) -> Path:
    recs = rf.recordings()
    recs.loc[recs["recording_id"] == 5, "error"] = ERROR
    meta = rf.meta(devices=DEVICES, decision_rule=RULE)
    tables = build_report(recs, rf.detections(), rf.window_summary(), meta)
    book = write_report_workbook(tmp_path / "Pond A.xlsx", tables)
    out = tmp_path / "pdf"
    # A profile of its own: no clash with a LibreOffice the user has open, nor with a
    # parallel test run.
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run(
        [_soffice(), f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(out), str(book)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    pdf = out / "Pond A.pdf"
    assert proc.returncode == 0, proc.stderr
    assert pdf.is_file(), f"no PDF; soffice said: {proc.stdout} {proc.stderr}"
    return pdf


def _pages(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages: list[list[tuple[float, float, float, float, str]]] = []
    for m in _WORD.finditer(bbox):
        if m["pw"]:
            pages.append([])
        else:
            box = (float(m["x0"]), float(m["y0"]), float(m["x1"]), float(m["y1"]))
            pages[-1].append((*box, html.unescape(m["text"])))
    return pages


def _overlap(a: tuple, b: tuple) -> float:
    dx = min(a[2], b[2]) - max(a[0], b[0])
    dy = min(a[3], b[3]) - max(a[1], b[1])
    return max(dx, 0) * max(dy, 0)


@pytest.mark.slow
def test_libreoffice_renders_the_workbook_legibly(tmp_path: Path) -> None:
    pdf = _render(tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF-")
    pages = _pages(pdf)
    assert len(pages) >= 5, f"{len(pages)} pages for five sheets"
    clashes = []
    for number, words in enumerate(pages, start=1):
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
                if smaller > 0 and _overlap(a, b) > 0.2 * smaller:
                    clashes.append((number, a[4], b[4]))
    assert clashes == [], f"words printed over each other: {clashes[:10]}"
    text = " ".join(w[4] for words in pages for w in words)
    for long_cell in (ERROR, RULE, ", ".join(DEVICES)):
        assert " ".join(long_cell.split()) in text, long_cell[:40]
    for number, words in enumerate(pages, start=1):
        heights = sorted(w[3] - w[1] for w in words)
        # A word's box is 1.3 times its type size (14.3 pt for 11 pt): 8 pt type is 10.4 pt.
        assert heights[len(heights) // 2] >= 10.0, f"page {number}: type below 8 pt"
