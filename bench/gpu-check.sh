#!/usr/bin/env bash
# The GPU check: on a machine with a GPU, its Vulkan driver and PyTorch with CUDA, times one training step of the
# lab on WebGPU through Dawn (Node, the `webgpu` package) with the package's and the lab's gradient kernels, and
# PyTorch on CUDA in float32 on the same model and shapes (CREMA-D: audio 257 x 188, one frame of 112 and of
# 224 px, batch 64, width 1), prints the ratio and the lab step's kernels, and writes .bench/gpu-check.json.
#
#   bench/gpu-check.sh                      # the defaults above
#   BATCH=32 SIZES=112 STEPS=3 bench/gpu-check.sh
#   PYTHON=/path/to/python3 bench/gpu-check.sh
#   bench/gpu-check.sh --dry-run            # tiny shapes, any adapter (SwiftShader), PyTorch on the CPU
#
# From a bare checkout it installs the npm dependencies (npm ci) when they are missing. It does not install
# PyTorch or a Vulkan driver: it says what is missing and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

BATCH=${BATCH:-64}
SIZES=${SIZES:-112,224}
STEPS=${STEPS:-5}
PYTHON=${PYTHON:-python3}
TORCH_DEVICE=cuda
EXTRA=()
if [[ "${1:-}" == "--dry-run" ]]; then
  BATCH=2 SIZES=56 STEPS=1 TORCH_DEVICE=cpu
  EXTRA=(--allow-software --audio 65x47 --width 0.25)
fi

start=$(date +%s)
say() { echo "[gpu-check $(( $(date +%s) - start ))s] $*" >&2; }

if ! command -v node >/dev/null; then
  say "Node.js is missing (the lab's benchmarks need Node 20 or newer)"; exit 2
fi
if [[ ! -d node_modules/@tensorflow/tfjs-backend-webgpu || ! -d node_modules/webgpu || ! -d node_modules/tsx ]]; then
  say "installing the npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [[ "$TORCH_DEVICE" == cuda ]]; then
  if ! "$PYTHON" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    say "$PYTHON has no PyTorch with CUDA (python3 -c 'import torch; print(torch.cuda.is_available())'); set PYTHON= to one that does"
    exit 2
  fi
  "$PYTHON" -c 'import torch; print("PyTorch", torch.__version__, "on", torch.cuda.get_device_name(0))' >&2
  if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true; fi
fi
if command -v vulkaninfo >/dev/null; then
  vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverName' >&2 || true
fi

say "running the lab (Dawn) and PyTorch ($TORCH_DEVICE): batch $BATCH, visual $SIZES px, $STEPS timed steps"
npx tsx bench/gpu-check.ts --batch "$BATCH" --sizes "$SIZES" --steps "$STEPS" --python "$PYTHON" --torch-device "$TORCH_DEVICE" "${EXTRA[@]}"
say "done"
