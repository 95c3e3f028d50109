"""``python -m dashboard [--host HOST] [--port PORT]``: serve the dashboard.

The database is the configured one (``RANAWATCH_DATABASE_URL``, else the SQLite file in
``RANAWATCH_DATA_DIR``). The docker-compose ``dashboard`` service runs this.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from core.settings import get_settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (1-65535)")
    return port


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``argv`` and serve the dashboard until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard",
        description="Serve the RanaWatch dashboard for the configured database "
        "(RANAWATCH_DATABASE_URL, else <RANAWATCH_DATA_DIR>/ranawatch.db).",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 in a container)",
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Imported late: Dash and pandas take a moment, which --help need not wait for.
    from dashboard.app import create_app

    create_app(settings.resolved_database_url).run(host=args.host, port=args.port, debug=False)


if __name__ == "__main__":
    main()
