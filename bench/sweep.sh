#!/usr/bin/env bash
# Batch size x threads sweep of the base384 model on the CPU (bench/throughput.py rows).
# Rates per CPU-second and the model's share of the matmul rate are what to compare on a
# shared machine; x real time is the wall clock's and moves with the machine's load.
#   bench/sweep.sh [DTYPE] [MAX_WINDOWS]        (default fp32 16)
set -euo pipefail
cd "$(dirname "$0")/.."
DTYPE="${1:-fp32}"
WINDOWS="${2:-16}"
PY="${PY:-.venv/bin/python}"
for threads in 1 2; do
  for batch in 1 2 4 8 16; do
    echo "## threads $threads, batch $batch"
    "$PY" bench/throughput.py --rows "long:base384:$DTYPE" --threads "$threads" \
      --batch-size "$batch" --max-windows "$WINDOWS" --long-s 600 | tail -1
  done
done
