"""The sites file and the order of the rules that give a recording its site."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.errors import ConfigError
from db import crud
from db.session import session_scope
from db.site_resolver import SiteResolver
from db.sites import load_sites_file, store_sites_file

SITES_YAML = """\
match_radius_m: 300
sites:
  - name: Laguna Pond
    latitude: 37.0412
    longitude: -122.0731
    folders: [laguna]
    devices: [AAAA000000000001]
  - name: Upper Creek
    latitude: 37.2000
    longitude: -122.2000
    folders: [/data/audio/upper_creek, laguna/upper]
deployments:
  - device: 249BC30461CBB1E6
    site: Laguna Pond
    from: 2024-02-01
    to: 2024-03-15
  - device: 249BC30461CBB1E6
    site: Upper Creek
    from: 2024-03-16T00:00:00-08:00
"""


@pytest.fixture
def sites_path(tmp_path: Path) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(SITES_YAML, encoding="utf-8")
    return path


def _resolve(engine: sa.Engine, resolver: SiteResolver, **kwargs) -> tuple[str, str] | None:
    values = {
        "path": "/mnt/card/20240301_030000.WAV",
        "serial": None,
        "recorded_at": None,
        "latitude": None,
        "longitude": None,
    } | kwargs
    with session_scope(engine) as session:
        device_id = None
        if values["serial"]:
            device_id = crud.get_or_create_device(session=session, serial=values["serial"]).id
        match = resolver.resolve(session=session, device_id=device_id, **values)
    return (match.name, match.rule) if match else None


def test_sites_file_is_read_and_stored(engine: sa.Engine, sites_path: Path) -> None:
    parsed = load_sites_file(sites_path)
    assert parsed.deployments[0].start == datetime(2024, 2, 1, tzinfo=UTC)
    assert parsed.deployments[0].end == datetime(2024, 3, 16, tzinfo=UTC)  # "to" is inclusive
    assert parsed.deployments[1].start == datetime(2024, 3, 16, 8, tzinfo=UTC)
    for _ in range(2):  # storing twice changes nothing
        with session_scope(engine) as session:
            store_sites_file(session=session, sites_file=parsed)
    with session_scope(engine) as session:
        pond = crud.get_site(session=session, name="Laguna Pond")
        assert (pond.latitude, pond.longitude) == (37.0412, -122.0731)
        count = session.execute(sa.text("SELECT count(*) FROM deployments")).scalar_one()
    assert count == 2


def test_rules_apply_in_order(engine: sa.Engine, sites_path: Path) -> None:
    sites_file = load_sites_file(sites_path)
    with session_scope(engine) as session:
        store_sites_file(session=session, sites_file=sites_file)
    resolver = SiteResolver(sites_file)
    in_march = datetime(2024, 3, 1, 3, tzinfo=UTC)
    in_april = datetime(2024, 4, 1, 3, tzinfo=UTC)
    moved = "249BC30461CBB1E6"
    # A dated deployment beats the folder the files were copied into.
    assert _resolve(
        engine, resolver, path="/x/laguna/a.wav", serial=moved, recorded_at=in_april
    ) == ("Upper Creek", "deployment")
    assert _resolve(engine, resolver, serial=moved, recorded_at=in_march) == (
        "Laguna Pond",
        "deployment",
    )
    # Folders: the longest rule wins; relative rules match anywhere, absolute ones as prefix.
    assert _resolve(engine, resolver, path="/x/laguna/b.wav") == ("Laguna Pond", "folder")
    assert _resolve(engine, resolver, path="/x/laguna/upper/b.wav") == ("Upper Creek", "folder")
    assert _resolve(engine, resolver, path="/data/audio/upper_creek/d1/b.wav") == (
        "Upper Creek",
        "folder",
    )
    assert _resolve(engine, resolver, path="/elsewhere/data/audio/upper_creek/b.wav") is None
    # A device listed under a site, then the GUANO position.
    assert _resolve(engine, resolver, serial="AAAA000000000001") == ("Laguna Pond", "device")
    assert _resolve(engine, resolver, latitude=37.0420, longitude=-122.0731) == (
        "Laguna Pond",
        "position",
    )
    assert _resolve(engine, resolver, latitude=37.1, longitude=-122.1) is None
    # An explicit site beats everything, and is created when new.
    explicit = SiteResolver(sites_file, explicit="New Pond")
    assert _resolve(engine, explicit, serial=moved, recorded_at=in_march) == (
        "New Pond",
        "explicit",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("sites: [{name: A}]\ndeployments: [{device: X, site: B, from: 2024-01-01}]", "['B']"),
        ("sites: [{name: A, latitude: 95}]", "sites.0.latitude"),
        (
            "sites: [{name: A}]\ndeployments: [{device: X, site: A, from: 2024-01-01T10:00:00}]",
            "time zone",
        ),
        ("sites: [{name: A, colour: red}]", "sites.0.colour"),
        ("sites: [unclosed", "cannot read"),
    ],
)
def test_bad_sites_files_name_the_file_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        load_sites_file(path)
    assert str(path) in str(excinfo.value) and problem in str(excinfo.value)


def test_missing_sites_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the sites file"):
        load_sites_file(tmp_path / "nope.yaml")
