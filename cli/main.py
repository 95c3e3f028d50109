"""Entry point of the ``ranawatch`` command.

Each sub-command lives in its own module under ``cli/`` and exposes ``register(app)``.
"""

from __future__ import annotations

import importlib
import logging

import typer

app = typer.Typer(
    name="ranawatch",
    help="RanaWatch: acoustic monitoring of the California red-legged frog.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Sub-command modules, in the order they appear in --help.
_COMMAND_MODULES: tuple[str, ...] = (
    "cli.inspect",
    "cli.score",
    "cli.checkpoint",
    "cli.report",
    "cli.survey",
    "cli.db",
    "cli.ingest",
    "cli.detect",
    "cli.list",
    "cli.serve",
    "cli.dashboard",
    "cli.dataset",
    "cli.train",
    "cli.evaluate",
    "cli.demo",
)


@app.callback()
def _main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
) -> None:
    """RanaWatch: acoustic monitoring of the California red-legged frog."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


if __name__ == "__main__":
    app()
