#!/usr/bin/env bash
# The device check (docs/gpu.md). One call on a fresh GPU machine:
#   bash benchmarks/gpu_check.sh --out "$OUT"                  # <= 8 min
# The same script on the CPU, tiny sizes (~2-3 min; tests run a reduced one):
#   bash benchmarks/gpu_check.sh --dry-run --out DIR
# Build the wheelhouse to carry along (here, with internet; git ignores it):
#   bash benchmarks/gpu_check.sh --prepare-wheels wheels
# On the device, wheels/ (or $IONMD_WHEELS) is installed with
# pip --no-index --no-deps before the check starts.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WHEELS=${IONMD_WHEELS:-wheels}
# what the device lacks (it has torch with CUDA, e3nn, h5py, numpy, scipy): the
# imports of a dry run on only the device's packages plus these, traced by
# `python -m benchmarks.gpu_check_imports --as-device` (CARRIED there: same list).
# mace 0.3.16 imports matplotlib and pandas through its training code; ionmd
# stands that module in when they are missing (ionmd/calculators/_common.py).
# sevenn 0.10.4 (33 MB, SevenNet-0's weights inside) is for the real_model part;
# it works with mace's e3nn 0.4.4 (sevenn >= 0.11 needs e3nn >= 0.5).
WHEEL_PINS=(
  "torch-sim-atomistic==0.6.2"
  "mace-torch==0.3.16"
  "ase==3.29.0"
  "e3nn==0.4.4"
  "opt-einsum-fx==0.1.4"
  "torchmetrics==1.9.0"
  "lightning-utilities==0.15.3"
  "torch-ema==0.3"
  "matscipy==1.3.1"
  "lmdb==3.0.0"
  "orjson==3.13.0"
  "tables==3.11.1"
  "numexpr==2.14.2"
  "packaging==26.4"
  "tqdm==4.70.1"
  "sevenn==0.10.4"
)
#: what the device tool carries at most: the working tree plus carried paths
CARRY_LIMIT_MIB=64

if [[ "${1:-}" == "--prepare-wheels" ]]; then
  dest=${2:?usage: --prepare-wheels DIR}
  mkdir -p "$dest"
  "$PY" -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux_2_28_x86_64 --implementation cp \
    -d "$dest" "${WHEEL_PINS[@]}"
  # the carry: the files git would hand over (tracked + untracked, not ignored)
  # plus the wheelhouse; ignored build outputs do not travel
  tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
  wheels=$(find "$dest" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  awk -v t="$tree" -v w="$wheels" -v lim="$CARRY_LIMIT_MIB" 'BEGIN {
    m = 1048576; c = (t + w) / m
    printf "wheelhouse %.1f MiB + working tree %.1f MiB = carry %.1f MiB (limit %d MiB)\n", w / m, t / m, c, lim
    exit (c > lim) }' || { echo "gpu_check: the carry exceeds ${CARRY_LIMIT_MIB} MiB"; exit 1; }
  exit 0
fi

dry=0
for a in "$@"; do [[ "$a" == "--dry-run" ]] && dry=1; done
if [[ $dry == 0 && -d "$WHEELS" ]]; then
  # only what is missing: never replace the device's torch
  "$PY" -m pip install --no-index --no-deps --find-links "$WHEELS" \
    "$WHEELS"/*.whl >"${TMPDIR:-/tmp}/ionmd-wheels.log" 2>&1 \
    || { echo "gpu_check: installing the wheels failed (see ${TMPDIR:-/tmp}/ionmd-wheels.log)"; tail -5 "${TMPDIR:-/tmp}/ionmd-wheels.log"; }
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
limit=480
# dry: ~3 min on 2 busy shared cores with real_model (SevenNet-0 loads in ~20 s there)
[[ $dry == 1 ]] && limit=400
exec timeout --signal=TERM --kill-after=10 "$limit" "$PY" -m benchmarks.gpu_check "$@"
