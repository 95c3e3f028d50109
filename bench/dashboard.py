"""Time every dashboard callback over a large synthetic season, on SQLite and PostgreSQL.

    PYTHONPATH=. .venv/bin/python bench/dashboard.py                       # SQLite only
    PYTHONPATH=. .venv/bin/python bench/dashboard.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    PYTHONPATH=. .venv/bin/python bench/dashboard.py --no-sqlite --postgres ADMIN_URL
    PYTHONPATH=. .venv/bin/python bench/dashboard.py --reuse URL    # time a season filled before

The season (bench/season.py) defaults to the issue's: 50 devices (25 sites x 2), 120 nights,
10-minute files every 30 minutes from 19:00 to 07:00 (144 000 slots; 132 000 recordings, as
each device misses a twelfth of its nights), events at a realistic rate. Window scores are
not written: no dashboard query reads them. A second model version, "retrained" on the
season's reviews, is run on the season again (``--one-version`` leaves it out), so the
Models page compares two versions over 264 000 runs. Each callback runs ``--repeat`` times
over three scopes (all sites and nights; one site; 30 nights) after one warm-up call, and the
p50 / p95 wall times are printed, then what one write pays to keep the dashboard's sums
(db.activity_sums). Figures only: nothing here asserts a time.

Each filled database is kept and its URL printed, so ``--reuse URL`` can time it again after
a change (it is upgraded to the newest migration and analysed first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and this module would hide
# the dashboard package of the same name; the repository root is what is meant.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.season import SeasonSize, fill_season  # noqa: E402
from bench.season_versions import add_retrained_version  # noqa: E402
from core.settings import Settings  # noqa: E402
from dashboard.app import create_app  # noqa: E402
from db.activity_sums import refresh_recordings  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Recording  # noqa: E402
from db.session import get_engine  # noqa: E402


def _postgres_database(admin_url: str) -> str:
    name = f"ranawatch_bench_{int(time.time())}"
    libpq = make_url(admin_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(False)


def _calls(size: SeasonSize) -> dict[str, Callable[[list, str | None, str | None], object]]:
    from dashboard.pages import detections, devices, map, models, overview, temperature

    def detections_page(sites, start, end):
        return detections.load_page(sites, start, end, None, None, [0, 1], "", 0, 20)

    def detections_filters(sites, start, end):
        return detections.filter_options(sites, start, end)

    chosen: dict[tuple, int | None] = {}

    def device_detail(sites, start, end):
        # The device the page would show first, found once (outside the timing).
        key = (tuple(sites), start, end)
        if key not in chosen:
            chosen[key] = devices.list_devices(sites, start, end, None)[2]
        return devices.show_device(chosen[key], sites, start, end)

    pairs: dict[tuple, tuple] = {}

    def models_compare(sites, start, end):
        # The two versions the page compares first, found once (outside the timing).
        key = (tuple(sites), start, end)
        if key not in pairs:
            pairs[key] = models.update(sites, start, end)[3:6:2]
        return models.compare(*pairs[key], sites, start, end)

    return {
        "overview.update": overview.update,
        "temperature.update": temperature.update,
        "map.update": map.update,
        "detections.load_page": detections_page,
        "detections.filter_options": detections_filters,
        "devices.list_devices": lambda s, a, b: devices.list_devices(s, a, b, None),
        "devices.show_device": device_detail,
        "models.update": lambda s, a, b: models.update(s, a, b),
        "models.compare": models_compare,
    }


def machine_note() -> str:
    """How busy this machine is while timing: load average and a fixed Python loop (10
    million additions; about 0.5 s on an idle modern core), to read the figures against."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    loop_s = time.perf_counter() - started
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}; 10M-addition loop {loop_s:.2f} s"


def time_callbacks(url: str, size: SeasonSize, repeat: int) -> None:
    """Print p50 and p95 of each callback over all scopes, and its median per scope."""
    app = create_app(url, settings=Settings(database_url=url))
    last = size.first_night + timedelta(days=size.nights - 1)
    scopes = [
        ([], None, None),
        (["Laguna Pond"], None, None),
        ([], str(last - timedelta(days=29)), str(last)),
    ]
    print(f"  {'callback':28s} {'p50':>8s} {'p95':>8s}   median: all / one site / 30 nights")
    with app.server.test_request_context("/"):
        for name, call in _calls(size).items():
            per_scope: list[list[float]] = [[] for _ in scopes]
            call(*scopes[0])  # the first call of a kind warms imports and statement caches
            for _ in range(repeat):
                for taken, scope in zip(per_scope, scopes, strict=True):
                    started = time.perf_counter()
                    call(*scope)
                    taken.append(1000 * (time.perf_counter() - started))
            times = sorted(t for taken in per_scope for t in taken)
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            medians = " / ".join(f"{statistics.median(t):.0f}" for t in per_scope)
            print(
                f"  {name:28s} {statistics.median(times):5.0f} ms {p95:5.0f} ms   {medians} ms",
                flush=True,
            )


def time_refresh(url: str, samples: int = 30) -> None:
    """Print what a writer pays to keep the dashboard's sums: recomputing one recording's
    (site, night) unit, as ingest, detect and a review do, in a transaction rolled back."""
    engine = get_engine(url)
    with Session(engine) as session:
        last = session.execute(sa.select(sa.func.max(Recording.id))).scalar_one() or 0
        taken = []
        for recording_id in range(1, last + 1, max(1, last // samples)):
            started = time.perf_counter()
            refresh_recordings(session=session, recording_ids=[recording_id])
            taken.append(1000 * (time.perf_counter() - started))
        session.rollback()
    if taken:
        taken.sort()
        p95 = taken[min(len(taken) - 1, int(round(0.95 * (len(taken) - 1))))]
        print(
            f"  {'sums refresh (one write)':28s} {statistics.median(taken):5.0f} ms "
            f"{p95:5.0f} ms   ({len(taken)} recordings' nights, rolled back)",
            flush=True,
        )


def _analyse(url: str) -> None:
    # What autovacuum does soon after a bulk load (PostgreSQL 13+ vacuums after inserts too):
    # without table statistics PostgreSQL plans these joins for one row per table (the
    # first run here took minutes), and without the visibility map it cannot answer from
    # the covering indexes alone.
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _fill(label: str, url: str, size: SeasonSize, retrained: bool = True) -> None:
    upgrade(url)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        print(f"  {label}: site {done}/{total} written ({elapsed:.0f} s)", flush=True)

    counts = fill_season(get_engine(url), size, progress=progress)
    if retrained:
        add_retrained_version(get_engine(url))
        print(f"  {label}: version 1.1 run on the season ({time.perf_counter() - started:.0f} s)")
    _analyse(url)
    print(
        f"{label}: {counts['recordings']:,} recordings, {counts['detections']:,} events, "
        f"{counts['reviews']:,} reviews written in {time.perf_counter() - started:.0f} s "
        f"({url}; time it again with --reuse)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also bench PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="leave SQLite out")
    parser.add_argument(
        "--reuse", metavar="URL", action="append", default=[], help="time a filled database"
    )
    parser.add_argument("--sites", type=int, default=25)
    parser.add_argument("--devices-per-site", type=int, default=2)
    parser.add_argument("--nights", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--one-version", action="store_true", help="no second (retrained) model version"
    )
    args = parser.parse_args()
    size = SeasonSize(sites=args.sites, devices_per_site=args.devices_per_site, nights=args.nights)
    targets = []
    if args.reuse:
        for url in args.reuse:
            started = time.perf_counter()
            revision = upgrade(url)
            _analyse(url)
            print(
                f"{make_url(url).render_as_string()}: at migration {revision}, analysed "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            targets.append((make_url(url).get_backend_name(), url))
    else:
        if not args.no_sqlite:
            targets.append(("SQLite", f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"))
        if args.postgres:
            targets.append(("PostgreSQL", _postgres_database(args.postgres)))
        for label, url in targets:
            _fill(label, url, size, retrained=not args.one_version)
    for label, url in targets:
        print(f"{label} ({make_url(url).render_as_string()}); {machine_note()}:", flush=True)
        time_callbacks(url, size, args.repeat)
        time_refresh(url)
        print(f"  after: {machine_note()}", flush=True)


if __name__ == "__main__":
    main()
