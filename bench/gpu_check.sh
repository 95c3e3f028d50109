#!/usr/bin/env bash
# One GPU check on a bare CUDA machine, under 8 minutes: set up, compare CUDA with CPU fp32 on
# real recordings (scores within 1e-2), then the GPU benchmark table. Run from the repository:
#   bench/gpu_check.sh [AUDIO_DIR]        (default ../shared/realaudio)
set -euo pipefail
cd "$(dirname "$0")/.."
AUDIO="${1:-../shared/realaudio}"
start=$(date +%s)
stamp() { echo "[gpu_check +$(( $(date +%s) - start ))s] $*"; }

# 1. What it needs: the pinned stack (torch with CUDA, torchaudio, timm, soundfile, the db layer).
PY=.venv/bin/python
if ! "$PY" -c "import torch, torchaudio, timm, soundfile, sqlmodel" 2>/dev/null; then
  if python3 -c "import torch, torchaudio, timm, soundfile, sqlmodel" 2>/dev/null; then
    PY=python3
  else
    stamp "installing the pinned stack (scripts/setup.sh)"
    scripts/setup.sh
  fi
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PY" -c "import torch; assert torch.cuda.is_available(), 'torch sees no CUDA device'; print(torch.__version__, torch.cuda.get_device_name())"

# 2. CUDA scores against CPU float32 on a few real recordings (exit 1 past 1e-2).
stamp "CUDA vs CPU fp32 on real recordings"
PYTHONPATH=$PWD timeout 180 "$PY" bench/gpu_check.py --audio "$AUDIO" --files 3

# 3. The GPU benchmark: 1 h at 48 kHz, 200 x 60 s, bf16 and fp32, a streaming 384 kHz row.
stamp "GPU benchmark"
PYTHONPATH=$PWD timeout 300 "$PY" bench/throughput.py --device cuda --batch-size 64 \
  --prefetch 4 --max-windows 0 --long-s 3600 --short-n 200 --stream-long-s 1800 \
  --cache "${TMPDIR:-/tmp}/ranawatch-bench" \
  --rows long:base384:bf16,short:base384:bf16,long:base384:fp32,stream-long:frontend
stamp "done"
