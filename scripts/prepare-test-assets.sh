#!/usr/bin/env bash
# Build the Python-side test fixtures under .cache/ (idempotent; safe to re-run).
#   .cache/venv/                         Python venv (torch CPU first, then test/python/requirements.txt)
#   .cache/fixtures/models/              minilm-fp32 (safetensors + fp32 ONNX), minilm-int8, manifest-hints.json
#   .cache/fixtures/models/tiny-clip/    tiny random-weight CLIP (safetensors, tokenizer, onnx/{vision,text}_model.onnx)
#   .cache/fixtures/models/tiny-colpali/ tiny random-weight ColPali (safetensors, processor, onnx/{image,text}_model.onnx)
#   .cache/fixtures/models/tiny-captioner/ tiny random-weight ViT-GPT2 (safetensors, tokenizer, onnx/{encoder_model,decoder_model_merged}.onnx)
#   .cache/fixtures/reference/           sentence-transformers reference vectors + ONNX checks, tiny-clip.json
#   .cache/fixtures/images/              generated CLIP test images
#   .cache/fixtures/tiktoken/            offline cache for Python tiktoken (built from node_modules/js-tiktoken)
#   .cache/fixtures/ocr/                 OCR test images + PDFs and RapidOCR's reference readings (reference.json)
# Needs: python3 (3.11), node + node_modules (run `npm ci` first). Network: package registries only.
#   --models-only   stop after the model folders (what `npm start` needs on a machine with no hub access)
set -euo pipefail
MODELS_ONLY=0
[[ ${1:-} == --models-only ]] && MODELS_ONLY=1

cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=.cache/venv
PY=$VENV/bin/python
FIX=.cache/fixtures
STAMPS=$FIX/.stamps
TORCH_VERSION=2.13.0

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
export HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TRANSFORMERS_VERBOSITY=error
export TOKENIZERS_PARALLELISM=false PYTHONWARNINGS=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
export TIKTOKEN_CACHE_DIR=$ROOT/$FIX/tiktoken

# pip install, quiet, minus the harmless notices about local extra-index folders lacking a package
pip_install() { "$VENV/bin/pip" install -q "$@" 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }; }
log() { printf '[prepare-test-assets] %s\n' "$*"; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
# step NAME KEY: true when the step must run (its stamp is missing or differs from KEY)
needs() { [[ ! -f $STAMPS/$1 || "$(cat "$STAMPS/$1")" != "$2" ]]; }
done_step() { mkdir -p "$STAMPS"; printf '%s' "$2" >"$STAMPS/$1"; }

start=$SECONDS

# a. virtual environment: torch (CPU wheel) first so nothing pulls a CUDA build, then the pinned requirements
venv_key="torch=$TORCH_VERSION $(python3 --version 2>&1) $(hash_of test/python/requirements.txt)"
if [[ ! -x $PY || ! -f $VENV/.hearth-stamp || "$(cat "$VENV/.hearth-stamp")" != "$venv_key" ]]; then
  if [[ ! -x $PY ]]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
  fi
  log "pip install torch==$TORCH_VERSION (CPU)"
  pip_install "torch==$TORCH_VERSION"
  log "pip install -r test/python/requirements.txt"
  pip_install -r test/python/requirements.txt
  if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)"; then
    log "ERROR: torch in $VENV is not $TORCH_VERSION" >&2
    exit 1
  fi
  printf '%s' "$venv_key" >"$VENV/.hearth-stamp"
  rm -rf "$STAMPS"  # new packages: rebuild everything below
else
  log "venv up to date"
fi
venv_hash=$(printf '%s' "$venv_key" | sha256sum | cut -d' ' -f1)

# step NAME KEY OUTPUT WHAT SCRIPT [CLEAR...]: runs SCRIPT when NAME's stamp differs from KEY or OUTPUT is
# missing, after removing CLEAR (its old outputs, and the stamps of the steps that read them).
step() {
  local name=$1 key=$2 output=$3 what=$4 script=$5
  shift 5
  if needs "$name" "$key" || [[ ! -e $output ]]; then
    log "$what"
    rm -rf "$@"
    "$PY" "$script"
    done_step "$name" "$key"
  else
    log "$name up to date"
  fi
}

# b. model folders
models_key="$venv_hash $(hash_of test/python/prepare_models.py)"
step models "$models_key" "$FIX/models/manifest-hints.json" "building model folders" test/python/prepare_models.py "$FIX/models" "$STAMPS/reference"

# b2. tiny random-weight CLIP (real architecture) with its ONNX graphs; rebuilt if the models step wiped it
clip_key="$venv_hash $(hash_of test/python/make_tiny_clip.py)"
step tiny-clip "$clip_key" "$FIX/models/tiny-clip/onnx/vision_model.onnx" "building tiny-clip" test/python/make_tiny_clip.py "$STAMPS/clip-reference"

# b3. tiny random-weight ColPali (ColPaliForRetrieval: PaliGemma = SigLIP + Gemma, + projection) with its ONNX graphs
colpali_key="$venv_hash $(hash_of test/python/make_tiny_colpali.py)"
step tiny-colpali "$colpali_key" "$FIX/models/tiny-colpali/onnx/image_model.onnx" "building tiny-colpali" test/python/make_tiny_colpali.py "$STAMPS/colpali-reference"

if (( MODELS_ONLY )); then
  log "done in $((SECONDS - start))s (models only)"
  exit 0
fi

# c. reference embeddings
ref_key="$models_key $(hash_of test/python/reference_embeddings.py test/fixtures/sentences.json)"
step reference "$ref_key" "$FIX/reference/minilm.json" "computing reference embeddings" test/python/reference_embeddings.py "$FIX/reference"

# c2. CLIP test images + reference pixel_values/image_embeds (after c, which clears reference/)
clip_ref_key="$clip_key $(hash_of test/python/clip_reference.py)"
step clip-reference "$clip_ref_key" "$FIX/reference/tiny-clip.json" "computing CLIP reference" test/python/clip_reference.py

# c3. ColPali reference multivectors (after c2, which writes the images)
colpali_ref_key="$colpali_key $clip_ref_key $(hash_of test/python/colpali_reference.py)"
step colpali-reference "$colpali_ref_key" "$FIX/reference/tiny-colpali.json" "computing ColPali reference" test/python/colpali_reference.py

# c4a. tiny random-weight image captioner (VisionEncoderDecoderModel: ViT + GPT-2) in transformers.js' ONNX layout
#      (tests only: after the --models-only exit, so `npm start` does not build it)
captioner_key="$venv_hash $(hash_of test/python/make_tiny_captioner.py)"
step tiny-captioner "$captioner_key" "$FIX/models/tiny-captioner/onnx/decoder_model_merged.onnx" "building tiny-captioner" test/python/make_tiny_captioner.py "$STAMPS/captioner-reference"

# c4b. reference captions: transformers' greedy generate on the CLIP test images (after c2, which writes them)
captioner_ref_key="$captioner_key $clip_ref_key $(hash_of test/python/captioner_reference.py)"
step captioner-reference "$captioner_ref_key" "$FIX/reference/tiny-captioner.json" "computing captioner reference" test/python/captioner_reference.py

# c5. OCR: rendered test images, PDFs (two pages, encrypted, zero pages), an image bomb, and RapidOCR's
#     reading of each image (texts, boxes, CER) under .cache/fixtures/ocr/. Needs the fonts scripts/test.sh installs.
ocr_key="$venv_hash $(hash_of test/python/ocr_reference.py)"
step ocr-reference "$ocr_key" "$FIX/ocr/reference.json" "computing OCR reference (RapidOCR)" test/python/ocr_reference.py "$FIX/ocr"

# d. tiktoken cache (ranks from node_modules/js-tiktoken)
if [[ ! -d node_modules/js-tiktoken ]]; then
  log "ERROR: node_modules/js-tiktoken missing; run 'npm ci' first" >&2
  exit 1
fi
tk_key="$venv_hash $(hash_of test/python/build_tiktoken_cache.py node_modules/js-tiktoken/package.json)"
step tiktoken "$tk_key" "$FIX/tiktoken" "building tiktoken cache" test/python/build_tiktoken_cache.py "$FIX/tiktoken"

log "done in $((SECONDS - start))s (fixtures in $FIX, python at $PY)"
