"""Flow ``ingest-recordings``: new audio files in the audio folders become recordings.

For every audio file (``*.wav``, ``*.flac``) under the roots that the database does not
know yet, or that changed since it was read: skip it while it is still being copied (its
size or time changed between two looks, or its header promises more audio than the file
holds yet), hash it, count a copy of a stored recording once (remembering its second path),
read its header and recorder metadata, attach device and site, and store it
(:mod:`flows.ingest_file`). A file that cannot be read is stored as ``failed`` with the
reason and the run carries on; a stored file whose content changed is read again and
scored again. Files that are not read at all (other formats, named pipes, devices, links
out of the folders) are listed with the reason in the run's summary. Nothing is lost and
nothing is stored twice, however often the flow runs.

Run it directly: ``python -m flows.ingest`` (folders from ``RANAWATCH_AUDIO_ROOTS``), or
``ranawatch ingest FOLDER [--site NAME]`` (one folder per run; ``cli/ingest.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.events import emit_event
from prefect.runtime import flow_run

from core.audio.files import Skipped, display_path, find_audio_files
from core.audio.settling import Settled, wait_until_settled
from core.errors import ConfigError
from core.settings import get_settings
from db.recordings import StoredFile, stored_files
from db.session import get_engine, session_scope
from db.site_resolver import SiteResolver
from db.sites import load_sites_file, store_sites_file
from flows.ingest_file import ingest_file
from flows.runlog import run_log
from flows.schedules import INGESTED_EVENT
from flows.tasks import db_task, io_task

FLOW_NAME = "ingest-recordings"


@dataclass(frozen=True)
class Scan:
    """The files a run takes, and what the folders held that it does not read."""

    candidates: list[Path]
    previous: dict[Path, StoredFile] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)


@db_task(name="store-sites-file")
def store_sites(database_url: str, sites_file: str) -> None:
    """Write the sites file's sites, devices and deployments to the database."""
    parsed = load_sites_file(sites_file)
    with session_scope(get_engine(database_url), immediate=True) as session:
        store_sites_file(session=session, sites_file=parsed)


@io_task(name="find-new-files")
def find_new_files(roots: list[str], database_url: str) -> Scan:
    """Audio files under ``roots`` that are new or changed since they were stored.

    New: neither stored nor known as a duplicate. Changed: a stored path whose size or
    modification time differs from what was read (a file stored as unreadable that the
    user copied again from the card, as the error message advised; a recording
    overwritten with other content), or a failed file whose permissions changed since.
    """
    found = find_audio_files(Path(root).expanduser().resolve() for root in roots)
    with session_scope(get_engine(database_url)) as session:
        stored = stored_files(session=session)
    candidates: list[Path] = []
    previous: dict[Path, StoredFile] = {}
    for path in found.files:
        before = stored.get(display_path(path))
        if before is None:
            candidates.append(path)
            continue
        try:
            now = path.stat()
        except OSError:
            continue  # gone or unreachable since the scan: looked at again next run
        if before.changed(now.st_size, now.st_mtime_ns, now.st_ctime_ns):
            candidates.append(path)
            previous[path] = before
    return Scan(candidates=candidates, previous=previous, skipped=found.skipped)


@task(name="wait-for-copies", cache_policy=NONE)
def wait_for_copies(paths: list[Path], settle_s: float) -> Settled:
    """Split files into settled ones and ones still being copied."""
    return wait_until_settled(paths, settle_s)


@flow(name=FLOW_NAME)
def ingest_recordings(
    roots: list[str] | None = None,
    site: str | None = None,
    sites_file: str | None = None,
    database_url: str | None = None,
    settle_s: float = 2.0,
) -> dict[str, int]:
    """Store the new (or changed) audio files found under ``roots``.

    Parameters
    ----------
    roots
        Folders to scan recursively; default ``RANAWATCH_AUDIO_ROOTS``.
    site
        Put every new recording at this site (created when new), whatever the sites file
        says.
    sites_file
        YAML file of sites, device deployments and folder rules (see :mod:`db.sites`);
        default ``RANAWATCH_SITES_FILE``.
    database_url
        Default: the configured database.
    settle_s
        Seconds between the two looks that tell a finished file from one still being
        copied.

    Returns
    -------
    dict[str, int]
        Counts: ``found`` (new or changed files seen), ``stored``, ``failed`` (stored with
        the reason), ``duplicates``, ``still_copying`` (taken next run), ``vanished``,
        ``already_known`` (stored meanwhile by another run), ``read_again`` (failed files
        that changed), ``changed`` (stored recordings whose content changed: read and
        scored again), ``unchanged`` (only their time changed), ``skipped`` (not read:
        other formats, special files, links out of the folders), ``errors`` (could not be
        stored even as failed; see the log).

    Raises
    ------
    ConfigError
        No roots, a root that does not exist, an invalid sites file, or a database not at
        the current schema.
    """
    settings = get_settings()
    logger = get_run_logger()
    url = database_url or settings.resolved_database_url
    roots = roots or [str(root) for root in settings.audio_roots]
    if not roots:
        raise ConfigError("no audio folders to scan: pass them or set RANAWATCH_AUDIO_ROOTS")
    sites_path = sites_file or (str(settings.sites_file) if settings.sites_file else None)
    failures: list[tuple[str, str]] = []
    with run_log(url, FLOW_NAME) as run:
        counts = run.counts
        if sites_path:
            store_sites(url, sites_path)
        resolver = SiteResolver(load_sites_file(sites_path) if sites_path else None, site)
        scan = find_new_files(roots, url)
        settled = wait_for_copies(scan.candidates, settle_s)
        counts.update(found=len(scan.candidates), still_copying=len(settled.changing))
        counts.update(vanished=len(settled.vanished), skipped=len(scan.skipped))
        for skipped in scan.skipped:
            logger.info("skipped %s: %s", skipped.path, skipped.reason)
        for path in settled.changing:
            logger.info("%s is still being copied; it will be taken next time", display_path(path))
        logger.info(
            "%d new or changed audio files under %s (%d skipped)",
            len(scan.candidates),
            ", ".join(roots),
            len(scan.skipped),
        )
        for n, path in enumerate(settled.stable, 1):
            before = scan.previous.get(path)
            if before is not None:
                logger.info("%s changed since it was stored: reading it again", display_path(path))
            outcome = ingest_file(url, path, settled.looks[path], resolver, before)
            counts[outcome.key] += 1
            if before is not None and outcome.key in ("stored", "failed"):
                counts["read_again" if not before.readable else "changed"] += 1
            if outcome.reason:
                failures.append((display_path(path), outcome.reason))
            if n % 50 == 0:
                logger.info("ingested %d of %d files", n, len(settled.stable))
        summary = {key: counts.get(key, 0) for key in _COUNT_KEYS}
        run.finish(summary, message=_one_line(summary))
    create_markdown_artifact(
        _markdown(summary, failures, settled.changing, scan.skipped),
        key="ingest-summary",
        description="Files found, stored, failed and skipped by this ingest run",
    )
    logger.info("ingest finished: %s", _one_line(summary))
    if summary["stored"]:
        # Starts the detect deployment's trigger (see flows/schedules.py).
        emit_event(
            event=INGESTED_EVENT,
            resource={
                "prefect.resource.id": f"ranawatch.ingest.{flow_run.get_id()}",
                "prefect.resource.name": FLOW_NAME,
            },
            payload=summary,
        )
    return summary


_COUNT_KEYS = (
    "found",
    "stored",
    "failed",
    "duplicates",
    "still_copying",
    "vanished",
    "already_known",
    "read_again",
    "changed",
    "unchanged",
    "skipped",
    "errors",
)


def _one_line(summary: dict[str, int]) -> str:
    return ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in summary.items())


def _markdown(
    summary: dict[str, int],
    failures: list[tuple[str, str]],
    changing: list[Path],
    skipped: list[Skipped],
) -> str:
    lines = ["# Ingest summary", "", "| | files |", "|---|---:|"]
    lines += [f"| {key.replace('_', ' ')} | {value} |" for key, value in summary.items()]
    if failures:
        lines += ["", "## Files that could not be read", "", "| file | reason |", "|---|---|"]
        lines += [f"| `{p}` | {reason.replace('|', '/')} |" for p, reason in failures[:200]]
        if len(failures) > 200:
            lines.append(f"| ... | {len(failures) - 200} more |")
    if changing:
        lines += ["", "## Still being copied (taken next run)", ""]
        lines += [f"- `{display_path(p)}`" for p in changing[:200]]
    if skipped:
        lines += ["", "## Not read", "", "| path | why |", "|---|---|"]
        lines += [f"| `{s.path}` | {s.reason.replace('|', '/')} |" for s in skipped[:200]]
        if len(skipped) > 200:
            lines.append(f"| ... | {len(skipped) - 200} more |")
    return "\n".join(lines)


if __name__ == "__main__":
    # Folders, sites and database from the settings; `ranawatch ingest` takes options.
    ingest_recordings()
