"""Report files: one folder per site, whatever the names, and files replaced in one step."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.report.files import replace_file, replace_folder, site_folder_names, site_slug


def test_sites_whose_names_collide_get_distinct_folders() -> None:
    sites = [(1, "Laguna Pond"), (2, "Pond"), (3, "Laguna_Pond"), (4, "=Pond"), (5, "pond")]
    names = site_folder_names(sites)
    assert names == {1: "Laguna_Pond", 2: "Pond", 3: "Laguna_Pond-3", 4: "Pond-4", 5: "pond-5"}
    assert len({n.casefold() for n in names.values()}) == len(sites)
    # Adding a site never renames an older site's folder.
    assert site_folder_names([*sites, (6, "Laguna.Pond")])[1] == "Laguna_Pond"


def test_slugs_are_safe_file_names() -> None:
    assert site_slug("../..") == "site" and site_slug("CON") == "CON_"
    assert site_slug("Étang du Nord") == "Étang_du_Nord" and "/" not in site_slug("a/b\\c")


def test_replace_file_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    final = tmp_path / "r.csv"
    final.write_text("old", encoding="utf-8")

    def fail(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_file(final, fail)
    assert final.read_text(encoding="utf-8") == "old" and list(tmp_path.iterdir()) == [final]
    replace_file(final, lambda tmp: tmp.write_text("new", encoding="utf-8"))
    assert final.read_text(encoding="utf-8") == "new" and list(tmp_path.iterdir()) == [final]


def test_replace_folder_leaves_no_stale_files(tmp_path: Path) -> None:
    folder = tmp_path / "raven"
    folder.mkdir()
    (folder / "gone.txt").write_text("x", encoding="utf-8")
    replace_folder(folder, lambda fresh: (fresh / "new.txt").write_text("y", encoding="utf-8"))
    assert [p.name for p in folder.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["raven"]
