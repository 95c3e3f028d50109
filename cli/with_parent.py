"""Run a Python module as a child that ends when its parent does: ``python -m cli.with_parent``.

``python -m cli.with_parent PARENT_PID MODULE [ARGS...]`` runs ``python -m MODULE ARGS`` in
this process, with a watchdog thread that stops it (SIGTERM, then exit) as soon as
``PARENT_PID`` is no longer its parent: killed with ``kill -9``, crashed, or ended without
cleaning up. The Prefect servers the CLI starts run this way, so that none outlives the
command that started it. Works wherever Python does (no ``prctl``); on Linux the parent's
death also sends SIGTERM at once (``PR_SET_PDEATHSIG``, see :func:`die_with_parent`).
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

POLL_S = 0.5
GRACE_S = 10.0


def die_with_parent() -> None:
    """``preexec_fn`` for :class:`subprocess.Popen`: SIGTERM when the parent dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_S)
    os._exit(1)


def main(argv: list[str]) -> None:
    """Start the watchdog for ``argv[0]`` (the parent pid) and run module ``argv[1]``."""
    parent, module, *args = argv
    if os.getppid() != int(parent):  # the parent died before we started
        sys.exit(1)
    threading.Thread(target=_watch, args=(int(parent),), daemon=True).start()
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
