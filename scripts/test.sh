#!/usr/bin/env bash
# Set up everything the tests need, then run the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k audio).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PREFECT_SERVER_ANALYTICS_ENABLED=false
exec .venv/bin/python -m pytest "$@"
