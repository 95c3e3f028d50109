#!/usr/bin/env bash
# Set everything up, then run the main job once, in this process (no Prefect server needed):
#   1. migrate the database (SQLite in the per-user data folder by default, or
#      RANAWATCH_DATABASE_URL),
#   2. ingest every new recording under the folders (recursive),
#   3. score them with the AST checkpoint in RANAWATCH_CHECKPOINT (skipped, with a note,
#      when no checkpoint is configured),
#   4. write the per-site reports (Excel, CSV, Raven tables) into <data folder>/reports/.
#
# Usage: scripts/run.sh [--site NAME] [FOLDER...]
#   FOLDER defaults to RANAWATCH_AUDIO_ROOTS, else to the demo recordings in
#   ../shared/realaudio (stored under the site "Demo").
set -euo pipefail
cd "$(dirname "$0")/.."

site=()
if [[ "${1:-}" == "--site" ]]; then
    [[ -n "${2:-}" ]] || { echo "run.sh: --site needs a name" >&2; exit 2; }
    site=(--site "$2")
    shift 2
fi

scripts/setup.sh

if (($#)); then
    roots=("$@")
elif [[ -n "${RANAWATCH_AUDIO_ROOTS:-}" ]]; then
    IFS=',' read -r -a roots <<<"$RANAWATCH_AUDIO_ROOTS"
elif [[ -d ../shared/realaudio ]]; then
    echo "run.sh: no folder given and RANAWATCH_AUDIO_ROOTS is unset: using the demo recordings in ../shared/realaudio" >&2
    roots=(../shared/realaudio)
    ((${#site[@]})) || site=(--site Demo)
else
    echo "usage: scripts/run.sh [--site NAME] FOLDER... (or set RANAWATCH_AUDIO_ROOTS)" >&2
    exit 2
fi

ranawatch=.venv/bin/ranawatch
detect=()
if [[ -z "${RANAWATCH_CHECKPOINT:-}" ]] && ! grep -qs '^RANAWATCH_CHECKPOINT=' .env; then
    echo "run.sh: no model checkpoint configured (RANAWATCH_CHECKPOINT): recordings are stored" \
        "but not scored. Point RANAWATCH_CHECKPOINT at your AST checkpoint (e.g." \
        "best_audio_model1.pth) to detect calls." >&2
    detect=(--no-detect)
fi

export PREFECT_SERVER_ANALYTICS_ENABLED=false
"$ranawatch" db upgrade
status=0
for root in "${roots[@]}"; do
    root="${root#"${root%%[![:space:]]*}"}"
    "$ranawatch" ingest "$root" "${site[@]}" "${detect[@]}" || status=$?
done
if ((${#detect[@]})); then
    echo "run.sh: reports skipped: nothing was scored (no checkpoint)." >&2
else
    .venv/bin/python -m flows.report || status=$?
    reports=$(.venv/bin/python -c "from core.settings import get_settings; print(get_settings().resolved_reports_dir)")
    echo "run.sh: reports in $reports" >&2
fi
.venv/bin/ranawatch list recordings "${site[@]}" || status=$?
exit "$status"
