"""The demo's terminal: progress bars that follow the flows, the whole log in ``demo.log``.

The flows log every step; the demo shows one progress bar per step instead (moved by
polling the database while a flow runs) and writes the log to a file, so that the terminal
holds the bars, errors and the summary.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class FileLog:
    """The root logger's copy into a file; :meth:`close` stops it."""

    def __init__(self, handler: logging.Handler) -> None:
        self.handler = handler

    def close(self) -> None:
        """Stop writing to the file and close it."""
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()


def log_to_file(path: Path) -> FileLog:
    """Append every log record (and Python warnings) to ``path`` until closed."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.captureWarnings(True)
    return FileLog(handler)


def quiet_console() -> None:
    """Only errors on the terminal; the flows' progress lines still reach the log file."""
    import prefect.logging  # noqa: F401 - sets up Prefect's handlers before they are changed

    file_handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler)]
    for name in ("", "prefect", "py.warnings"):
        target = logging.getLogger(name)
        for handler in target.handlers:
            if not isinstance(handler, logging.FileHandler):
                handler.setLevel(logging.ERROR)
        if name:
            for handler in file_handlers:
                if handler not in target.handlers and not target.propagate:
                    target.addHandler(handler)
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).setLevel(logging.INFO)


@contextmanager
def progress_bars() -> Iterator[Callable[[str], Callable[[int, int], None]]]:
    """Yield ``bar(description)``, which adds a bar and returns its ``update(done, total)``."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<48}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    ) as progress:

        def bar(description: str) -> Callable[[int, int], None]:
            task = progress.add_task(description, total=None)

            def update(done: int, total: int) -> None:
                progress.update(task, total=total, completed=done)

            return update

        yield bar


@contextmanager
def watch(url: str, what: str, total: int, update: Callable[[int, int], None]) -> Iterator[None]:
    """Poll the database every second while a flow runs, to move a progress bar.

    Parameters
    ----------
    url
        The demo's database.
    what
        ``"stored"`` counts every recording, ``"scored"`` those done or failed.
    total
        The count at which the step is done (the bar is set to it at the end).
    update
        The bar's ``update(done, total)``.
    """
    from sqlmodel import func, select

    from db.models import Recording, RecordingStatus
    from db.session import get_engine, session_scope

    stop = threading.Event()

    def count() -> int:
        with session_scope(get_engine(url)) as session:
            query = select(func.count()).select_from(Recording)
            if what == "scored":
                done = (RecordingStatus.DONE, RecordingStatus.FAILED)
                query = query.where(Recording.status.in_(done))  # type: ignore[attr-defined]
            return int(session.exec(query).one())

    def poll() -> None:
        while not stop.wait(1.0):
            try:
                update(count(), total)
            except Exception:  # noqa: BLE001 - a busy database only delays the bar
                continue

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        update(total, total)
