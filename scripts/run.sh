#!/usr/bin/env bash
# Set everything up, then run the main job.
#
# Without folders (and without RANAWATCH_AUDIO_ROOTS): the demo. A synthetic AudioMoth season
# is generated, ingested, scored by the demo model AST_demo_synthetic:0.1 (trained once, on
# CPU), reported, and the dashboard is served until Ctrl-C (`ranawatch demo`). Options for the
# demo pass through: scripts/run.sh --no-serve, --nights N, --port P.
#
# With folders (or RANAWATCH_AUDIO_ROOTS): the real job, once, in this process:
#   1. migrate the database (SQLite in the per-user data folder by default, or
#      RANAWATCH_DATABASE_URL),
#   2. ingest every new recording under the folders (recursive),
#   3. score them with the AST checkpoint in RANAWATCH_CHECKPOINT; without one, the
#      recordings are stored and the script says what to do to score them,
#   4. write the per-site reports (Excel, CSV, Raven tables) into <data folder>/reports/.
#
# Usage: scripts/run.sh [--no-serve] [--nights N] [--port P]     (the demo)
#        scripts/run.sh [--site NAME] FOLDER...                    (your recordings)
set -euo pipefail
cd "$(dirname "$0")/.."

site=()
demo_options=()
roots=()
while (($#)); do
    case "$1" in
    --site)
        [[ -n "${2:-}" ]] || { echo "run.sh: --site needs a name" >&2; exit 2; }
        site=(--site "$2")
        shift 2
        ;;
    --nights | --port | --hours | --seed | --host)
        [[ -n "${2:-}" ]] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
        demo_options+=("$1" "$2")
        shift 2
        ;;
    --no-serve | --serve)
        demo_options+=("$1")
        shift
        ;;
    -*)
        echo "usage: scripts/run.sh [--no-serve] [--nights N] [--port P]   (the demo)" >&2
        echo "       scripts/run.sh [--site NAME] FOLDER...                (your recordings)" >&2
        exit 2
        ;;
    *)
        roots+=("$1")
        shift
        ;;
    esac
done

if ((${#roots[@]} == 0)) && [[ -n "${RANAWATCH_AUDIO_ROOTS:-}" ]]; then
    IFS=',' read -r -a roots <<<"$RANAWATCH_AUDIO_ROOTS"
fi
if ((${#roots[@]})) && ((${#demo_options[@]})); then
    echo "run.sh: ${demo_options[0]} is a demo option; the demo runs when no folder is given" >&2
    exit 2
fi
if ((${#roots[@]} == 0)) && ((${#site[@]})); then
    echo "run.sh: --site needs the FOLDER... of your recordings" >&2
    exit 2
fi

scripts/setup.sh

export PREFECT_SERVER_ANALYTICS_ENABLED=false
ranawatch=.venv/bin/ranawatch

if ((${#roots[@]} == 0)); then
    echo "run.sh: no folder given and RANAWATCH_AUDIO_ROOTS is unset: running the demo on a" \
        "synthetic season (scripts/run.sh FOLDER... runs your own recordings)" >&2
    exec "$ranawatch" demo "${demo_options[@]}"
fi

detect=()
if [[ -z "${RANAWATCH_CHECKPOINT:-}" ]] && ! grep -qs '^RANAWATCH_CHECKPOINT=' .env; then
    detect=(--no-detect)
fi

"$ranawatch" db upgrade
status=0
for root in "${roots[@]}"; do
    root="${root#"${root%%[![:space:]]*}"}"
    "$ranawatch" ingest "$root" "${site[@]}" "${detect[@]}" || status=$?
done
if ((${#detect[@]})); then
    cat >&2 <<'EOF'
run.sh: the recordings are stored, but not scored: no model checkpoint is configured.
  To detect calls, get the fine-tuned frog checkpoint (best_audio_model1.pth, from the
  original project's authors; it cannot be downloaded by RanaWatch) or one you trained, then:
      export RANAWATCH_CHECKPOINT=/path/to/best_audio_model1.pth
      scripts/run.sh FOLDER...        # scores what is stored, then writes the reports
  (or put RANAWATCH_CHECKPOINT=... into .env). For another model size or labels, also set
  RANAWATCH_MODEL_CARD (see "The fine-tuned frog checkpoint" in README.md).
EOF
else
    .venv/bin/python -m flows.report || status=$?
    reports=$(.venv/bin/python -c "from core.settings import get_settings; print(get_settings().resolved_reports_dir)")
    echo "run.sh: reports in $reports" >&2
fi
echo "run.sh: what is stored: .venv/bin/ranawatch list recordings; the dashboard:" \
    ".venv/bin/ranawatch dashboard" >&2
exit "$status"
