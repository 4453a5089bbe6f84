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

# b. model folders
models_key="$venv_hash $(hash_of test/python/prepare_models.py)"
if needs models "$models_key" || [[ ! -f $FIX/models/manifest-hints.json ]]; then
  log "building model folders"
  rm -rf "$FIX/models" "$STAMPS/reference"
  "$PY" test/python/prepare_models.py
  done_step models "$models_key"
else
  log "models up to date"
fi

# b2. tiny random-weight CLIP (real architecture) with its ONNX graphs; rebuilt if the models step wiped it
clip_key="$venv_hash $(hash_of test/python/make_tiny_clip.py)"
if needs tiny-clip "$clip_key" || [[ ! -f $FIX/models/tiny-clip/onnx/vision_model.onnx ]]; then
  log "building tiny-clip"
  rm -f "$STAMPS/clip-reference"
  "$PY" test/python/make_tiny_clip.py
  done_step tiny-clip "$clip_key"
else
  log "tiny-clip up to date"
fi

# b3. tiny random-weight ColPali (ColPaliForRetrieval: PaliGemma = SigLIP + Gemma, + projection) with its ONNX graphs
colpali_key="$venv_hash $(hash_of test/python/make_tiny_colpali.py)"
if needs tiny-colpali "$colpali_key" || [[ ! -f $FIX/models/tiny-colpali/onnx/image_model.onnx ]]; then
  log "building tiny-colpali"
  rm -f "$STAMPS/colpali-reference"
  "$PY" test/python/make_tiny_colpali.py
  done_step tiny-colpali "$colpali_key"
else
  log "tiny-colpali up to date"
fi

if (( MODELS_ONLY )); then
  log "done in $((SECONDS - start))s (models only)"
  exit 0
fi

# c. reference embeddings
ref_key="$models_key $(hash_of test/python/reference_embeddings.py test/fixtures/sentences.json)"
if needs reference "$ref_key" || [[ ! -f $FIX/reference/minilm.json ]]; then
  log "computing reference embeddings"
  rm -rf "$FIX/reference"
  "$PY" test/python/reference_embeddings.py
  done_step reference "$ref_key"
else
  log "reference embeddings up to date"
fi

# c2. CLIP test images + reference pixel_values/image_embeds (after c, which clears reference/)
clip_ref_key="$clip_key $(hash_of test/python/clip_reference.py)"
if needs clip-reference "$clip_ref_key" || [[ ! -f $FIX/reference/tiny-clip.json ]]; then
  log "computing CLIP reference"
  "$PY" test/python/clip_reference.py
  done_step clip-reference "$clip_ref_key"
else
  log "CLIP reference up to date"
fi

# c3. ColPali reference multivectors (after c2, which writes the images)
colpali_ref_key="$colpali_key $clip_ref_key $(hash_of test/python/colpali_reference.py)"
if needs colpali-reference "$colpali_ref_key" || [[ ! -f $FIX/reference/tiny-colpali.json ]]; then
  log "computing ColPali reference"
  "$PY" test/python/colpali_reference.py
  done_step colpali-reference "$colpali_ref_key"
else
  log "ColPali reference up to date"
fi

# c4a. tiny random-weight image captioner (VisionEncoderDecoderModel: ViT + GPT-2) in transformers.js' ONNX layout
#      (tests only: after the --models-only exit, so `npm start` does not build it)
captioner_key="$venv_hash $(hash_of test/python/make_tiny_captioner.py)"
if needs tiny-captioner "$captioner_key" || [[ ! -f $FIX/models/tiny-captioner/onnx/decoder_model_merged.onnx ]]; then
  log "building tiny-captioner"
  rm -f "$STAMPS/captioner-reference"
  "$PY" test/python/make_tiny_captioner.py
  done_step tiny-captioner "$captioner_key"
else
  log "tiny-captioner up to date"
fi

# c4b. reference captions: transformers' greedy generate on the CLIP test images (after c2, which writes them)
captioner_ref_key="$captioner_key $clip_ref_key $(hash_of test/python/captioner_reference.py)"
if needs captioner-reference "$captioner_ref_key" || [[ ! -f $FIX/reference/tiny-captioner.json ]]; then
  log "computing captioner reference"
  "$PY" test/python/captioner_reference.py
  done_step captioner-reference "$captioner_ref_key"
else
  log "captioner reference up to date"
fi

# c5. OCR: rendered test images, PDFs (two pages, encrypted, zero pages), an image bomb, and RapidOCR's
#     reading of each image (texts, boxes, CER) under .cache/fixtures/ocr/. Needs the fonts scripts/test.sh installs.
ocr_key="$venv_hash $(hash_of test/python/ocr_reference.py)"
if needs ocr-reference "$ocr_key" || [[ ! -f $FIX/ocr/reference.json ]]; then
  log "computing OCR reference (RapidOCR)"
  rm -rf "$FIX/ocr"
  "$PY" test/python/ocr_reference.py
  done_step ocr-reference "$ocr_key"
else
  log "OCR reference up to date"
fi

# d. tiktoken cache (ranks from node_modules/js-tiktoken)
if [[ ! -d node_modules/js-tiktoken ]]; then
  log "ERROR: node_modules/js-tiktoken missing; run 'npm ci' first" >&2
  exit 1
fi
tk_key="$venv_hash $(hash_of test/python/build_tiktoken_cache.py node_modules/js-tiktoken/package.json)"
if needs tiktoken "$tk_key" || [[ -z "$(ls -A "$FIX/tiktoken" 2>/dev/null)" ]]; then
  log "building tiktoken cache"
  rm -rf "$FIX/tiktoken"
  "$PY" test/python/build_tiktoken_cache.py
  done_step tiktoken "$tk_key"
else
  log "tiktoken cache up to date"
fi

log "done in $((SECONDS - start))s (fixtures in $FIX, python at $PY)"
