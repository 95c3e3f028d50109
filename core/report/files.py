"""Where reports go: one folder name per site, and files replaced in one step.

Every writer of report files (``ranawatch report``, ``ranawatch survey``, the nightly
``write-site-reports`` flow) goes through :func:`replace_file` and :func:`replace_folder`:
the new content is written beside its final name and then renamed over it, so a workbook
opened while the nightly run writes it is the old complete file or the new one, never half
of one, and a failed write leaves the old file in place.

Folder names: a site name is made file-name safe (``Laguna Pond`` -> ``Laguna_Pond``), and
where two sites would share a folder (``Laguna Pond`` and ``Laguna_Pond``, ``=Pond`` and
``Pond``, or ``pond`` and ``Pond`` on a case-insensitive disk) the site registered first keeps
the plain name and the others get their site id (``Laguna_Pond-7``). Adding a site therefore
never moves an existing site's reports.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

_UNSAFE = re.compile(r"[^\w.-]+")
# Names Windows refuses for a file or folder whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}


def file_slug(name: str, fallback: str) -> str:
    """A file-name-safe form of any name (the one rule for site folders and Raven tables).

    Runs of anything but letters, digits, ``.``, ``_`` and ``-`` become one ``_``; leading
    and trailing dots and underscores go; empty becomes ``fallback``; a name Windows
    reserves (``CON``, ``NUL``, ...) gets a trailing ``_``.
    """
    slug = _UNSAFE.sub("_", name).strip("._") or fallback
    return f"{slug}_" if slug.upper() in _RESERVED else slug


def site_slug(name: str) -> str:
    """A file-name-safe form of a site name (``Laguna Pond`` -> ``Laguna_Pond``)."""
    return file_slug(name, "site")


def site_folder_names(sites: Iterable[tuple[int, str]]) -> dict[int, str]:
    """A distinct folder name per site.

    Parameters
    ----------
    sites
        ``(site id, site name)`` of every site in the database (not only those being
        written, so that a name does not depend on which sites a run covers).

    Returns
    -------
    dict[int, str]
        Per site id: :func:`site_slug` of its name, or ``<slug>-<id>`` for every site but the
        first registered (lowest id) among those whose slugs match ignoring case.
    """
    owner: dict[str, int] = {}
    for site_id, name in sorted(sites):
        owner.setdefault(site_slug(name).casefold(), site_id)
    names = {}
    for site_id, name in sites:
        slug = site_slug(name)
        names[site_id] = slug if owner[slug.casefold()] == site_id else f"{slug}-{site_id}"
    return names


def replace_file(final: str | Path, write: Callable[[Path], object]) -> Path:
    """Write a file through ``write(tmp_path)`` and rename it over ``final`` in one step.

    The temporary file sits in the same folder (created if needed), keeps the final suffix
    (writers that choose a format by it still work) and starts with a dot; it is removed if
    ``write`` fails.

    Raises
    ------
    OSError
        When the folder cannot be created or written.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def replace_folder(final: str | Path, write: Callable[[Path], object]) -> Path:
    """Fill a fresh folder through ``write(tmp_dir)`` and put it in place of ``final``.

    Files of the old folder that the new one lacks do not linger. Between removing the old
    folder and renaming the new one there is a moment without either; a reader then sees
    no folder, never a mix.

    Raises
    ------
    OSError
        When the parent folder cannot be created or written.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        write(fresh)
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old.", dir=final.parent))
            os.replace(final, old / final.name)
            os.replace(fresh, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(fresh, final)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return final
