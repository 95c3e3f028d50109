#!/usr/bin/env bash
# Set up RanaWatch on a fresh machine: a virtual environment in .venv with the pinned
# stack, and (with --test) what the test suite needs: PostgreSQL running, LibreOffice.
# Idempotent: re-running after a successful setup only checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1

PYTHON="${PYTHON:-python3}"
VENV=.venv
export PIP_CONSTRAINT="$PWD/constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    ((${#missing[@]})) || return 0
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- Python environment -------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
extras=""
((WITH_TEST)) && extras="[test]"
stamp="$VENV/.ranawatch-installed${extras}"
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
installed() { [[ -f "$1" && "$(cat "$1")" == "$want" ]]; }
# An environment set up with the test extras also serves the plain install.
if ! installed "$stamp" && ! installed "$VENV/.ranawatch-installed[test]"; then
    log "installing RanaWatch and its pinned dependencies (first time: several minutes, ~3 GB)"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".${extras}"
    echo "$want" >"$stamp"
else
    log "Python environment up to date"
fi

((WITH_TEST)) || exit 0

# --- Services and tools the tests use -----------------------------------------------
scripts/ensure_postgres.sh || log "PostgreSQL not available: its tests will be skipped (fail under CI=true)"
# LibreOffice Calc, headless only: a test renders the report workbook to PDF with it.
apt_install libreoffice-calc-nogui fonts-dejavu-core \
    || log "LibreOffice not installed: its test will be skipped (fail under CI=true)"
# pdftotext reads the rendered report back; Chromium + ChromeDriver drive the dashboard's
# browser tests (dash[testing]'s dash_duo, headless).
apt_install poppler-utils chromium chromium-driver \
    || log "Chromium/poppler not installed: browser and PDF tests will be skipped (fail under CI=true)"
log "setup complete"
