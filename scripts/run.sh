#!/usr/bin/env bash
# Set everything up, then run the main job: inspect the recordings in the given folders
# (default: $RANAWATCH_AUDIO_ROOTS, else the real recordings in ../shared/realaudio).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if (($#)); then
    roots=("$@")
elif [[ -n "${RANAWATCH_AUDIO_ROOTS:-}" ]]; then
    IFS=', ' read -r -a roots <<<"$RANAWATCH_AUDIO_ROOTS"
else
    roots=(../shared/realaudio)
fi
exec .venv/bin/ranawatch inspect "${roots[@]}"
