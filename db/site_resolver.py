"""Which site a recording belongs to: the rules that match a recording to a site.

A recording's site is, in order: the site given explicitly (``ranawatch ingest --site``); the
deployment of its device that covers its start time; the longest folder rule matching its
path; the site listing its device; the nearest site within ``match_radius_m`` of its GUANO
position. Otherwise it has no site. Folder rules and device lists are read from the parsed
sites file (:mod:`db.sites`); deployments and site positions from the database, where
:func:`db.sites.store_sites_file` put them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

from sqlmodel import Session

from db import crud
from db.models import Site
from db.sites import SitesFile


@dataclass(frozen=True)
class SiteMatch:
    """The site found for a recording and the rule that found it."""

    site_id: int
    name: str
    rule: str


class SiteResolver:
    """Finds the site of each recording (see the module docstring for the order of rules).

    Parameters
    ----------
    sites_file
        The parsed sites file, or ``None``.
    explicit
        A site name that overrides every rule (``ranawatch ingest --site``).
    """

    def __init__(self, sites_file: SitesFile | None = None, explicit: str | None = None) -> None:
        self.sites_file = sites_file or SitesFile()
        self.explicit = explicit

    def resolve(
        self,
        *,
        session: Session,
        path: str | Path,
        device_id: int | None,
        serial: str | None,
        recorded_at: datetime | None,
        latitude: float | None,
        longitude: float | None,
    ) -> SiteMatch | None:
        """The site of one recording, or ``None`` when no rule matches."""
        if self.explicit:
            return _match(crud.upsert_site(session=session, name=self.explicit), "explicit")
        if device_id is not None and recorded_at is not None:
            site = crud.site_of_device_at(session=session, device_id=device_id, at=recorded_at)
            if site is not None:
                return _match(site, "deployment")
        by_folder = self._by_folder(Path(path))
        if by_folder is not None:
            return _match(crud.upsert_site(session=session, name=by_folder), "folder")
        for spec in self.sites_file.sites:
            if serial is not None and serial in spec.devices:
                return _match(crud.upsert_site(session=session, name=spec.name), "device")
        if latitude is not None and longitude is not None:
            site = crud.nearest_site(
                session=session,
                latitude=latitude,
                longitude=longitude,
                max_distance_m=self.sites_file.match_radius_m,
            )
            if site is not None:
                return _match(site, "position")
        return None

    def _by_folder(self, path: Path) -> str | None:
        best: tuple[int, str] | None = None
        parents = path.parent.parts
        for spec in self.sites_file.sites:
            for folder in spec.folders:
                rule = PurePath(folder).parts
                absolute = PurePath(folder).is_absolute()
                longer = best is None or len(rule) > best[0]
                if longer and _folder_matches(parents, rule, absolute=absolute):
                    best = (len(rule), spec.name)
        return best[1] if best else None


def _folder_matches(parents: tuple[str, ...], rule: tuple[str, ...], *, absolute: bool) -> bool:
    if not rule:
        return False
    if absolute:
        return parents[: len(rule)] == rule
    # A relative rule matches the same run of folder names anywhere in the path.
    return any(parents[i : i + len(rule)] == rule for i in range(len(parents) - len(rule) + 1))


def _match(site: Site, rule: str) -> SiteMatch:
    assert site.id is not None
    return SiteMatch(site_id=site.id, name=site.name, rule=rule)
