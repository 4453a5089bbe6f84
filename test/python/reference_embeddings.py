"""Reference vectors from sentence-transformers for test/fixtures/sentences.json, plus ONNX cross-checks.

Writes .cache/fixtures/reference/minilm.json and .cache/fixtures/reference/minilm-int8-check.json.
Run from the repository root after prepare_models.py.
"""

import os

import fixture_common  # noqa: E402,F401  (offline Hugging Face settings, before transformers loads)

import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from sentence_transformers import SentenceTransformer

_report = fixture_common.Reporter("reference_embeddings")
log = _report.log

MODELS = Path(".cache/fixtures/models")
FP32 = MODELS / "minilm-fp32"
INT8 = MODELS / "minilm-int8"
OUT = Path(".cache/fixtures/reference")
SENTENCES = Path("test/fixtures/sentences.json")


def onnx_embed(path: Path, tokenizer, sentences, max_len: int, batch: int = 32) -> np.ndarray:
    """ONNX last_hidden_state -> mean pooling over the attention mask -> L2 normalisation."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    out = []
    for i in range(0, len(sentences), batch):
        enc = tokenizer(sentences[i : i + batch], padding=True, truncation=True, max_length=max_len, return_tensors="np")
        feeds = {n: enc[n].astype(np.int64) for n in names}
        hidden = sess.run(["last_hidden_state"], feeds)[0]
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
    return np.concatenate(out)


def main() -> None:
    sentences = json.loads(SENTENCES.read_text(encoding="utf-8"))
    model = SentenceTransformer(str(FP32), device="cpu")
    max_len = int(model.max_seq_length)
    vectors = model.encode(sentences, batch_size=32, convert_to_numpy=True, show_progress_bar=False)
    log(f"encoded {len(sentences)} sentences, dim {vectors.shape[1]}, max_seq_length {max_len}")

    tok = model.tokenizer
    token_counts = [len(tok(s, truncation=True, max_length=max_len)["input_ids"]) for s in sentences]
    untruncated = [len(tok(s, truncation=False, verbose=False)["input_ids"]) for s in sentences]

    OUT.mkdir(parents=True, exist_ok=True)
    ref = {
        "model_dir": str(FP32),
        "max_seq_length": max_len,
        "sentences": sentences,
        "vectors": [[float(x) for x in v] for v in vectors],
        "token_counts": token_counts,
        "untruncated_token_counts": untruncated,
    }
    (OUT / "minilm.json").write_text(json.dumps(ref, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {OUT / 'minilm.json'}")

    fp32 = onnx_embed(FP32 / "onnx" / "model.onnx", tok, sentences, max_len)
    cos_fp32 = (fp32 * vectors).sum(1)
    log(f"fp32 ONNX vs ST cosine: min {cos_fp32.min():.7f} mean {cos_fp32.mean():.7f}")
    int8 = onnx_embed(INT8 / "onnx" / "model_quantized.onnx", tok, sentences, max_len)
    cos_int8 = (int8 * vectors).sum(1)
    log(f"int8 ONNX vs ST cosine: min {cos_int8.min():.5f} mean {cos_int8.mean():.5f}")
    check = {
        "sentences": len(sentences),
        "fp32_onnx_vs_st_cosine_min": float(cos_fp32.min()),
        "fp32_onnx_vs_st_cosine_mean": float(cos_fp32.mean()),
        "fp32_onnx_vs_st_max_abs_diff": float(np.abs(fp32 - vectors).max()),
        "int8_onnx_vs_st_cosine_min": float(cos_int8.min()),
        "int8_onnx_vs_st_cosine_mean": float(cos_int8.mean()),
        "int8_worst_sentence_index": int(cos_int8.argmin()),
    }
    (OUT / "minilm-int8-check.json").write_text(json.dumps(check, indent=2) + "\n")
    if cos_fp32.min() < 0.99999:
        print(f"[reference_embeddings] ERROR: fp32 ONNX cosine {cos_fp32.min()} < 0.99999", file=sys.stderr)
        sys.exit(1)
    log("done")


if __name__ == "__main__":
    main()
