#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 (install and start it if needed).
set -uo pipefail
log() { printf '[postgres] %s\n' "$*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ready && exit 0
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "installing PostgreSQL"
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        as_root apt-get install -y -qq --no-install-recommends postgresql >/dev/null || exit 1
fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
[[ -n "$version" ]] || { log "no PostgreSQL cluster found"; exit 1; }
log "starting PostgreSQL $version"
as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
log "PostgreSQL did not come up on 127.0.0.1:5432"
exit 1
