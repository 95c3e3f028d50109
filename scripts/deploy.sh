#!/usr/bin/env bash
# Register RanaWatch on a Prefect server: create the `cpu` and `gpu` work pools when they
# are missing (process workers), then create or update every deployment in prefect.yaml.
#
#   PREFECT_API_URL=http://prefect-host:4200/api scripts/deploy.sh
#
# Safe to re-run: existing pools keep their settings, deployments are updated in place.
# docker compose runs this in its `deploy` service; tests/flows/test_deployment_server.py
# runs it against a throw-away server.
set -euo pipefail
cd "$(dirname "$0")/.."

PREFECT="${PREFECT:-prefect}"

if [[ -z "${PREFECT_API_URL:-}" ]] && ! "$PREFECT" config view 2>/dev/null | grep -q PREFECT_API_URL; then
    echo "deploy.sh: PREFECT_API_URL is not set: point it at the Prefect server," \
        "e.g. PREFECT_API_URL=http://127.0.0.1:4200/api" >&2
    exit 2
fi

# The pool names must match `work_pool.name` in prefect.yaml.
for pool in cpu gpu; do
    if "$PREFECT" work-pool inspect "$pool" >/dev/null 2>&1; then
        echo "deploy.sh: work pool '$pool' exists"
    else
        "$PREFECT" work-pool create "$pool" --type process
    fi
done

exec "$PREFECT" --no-prompt deploy --all --prefect-file prefect.yaml
