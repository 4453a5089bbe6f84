"""Reference multivectors for the tiny ColPali: transformers' ColPaliProcessor + ColPaliForRetrieval.

  .cache/fixtures/reference/tiny-colpali.json
    images[]: {file, input_ids, pixel_values, embeddings: [[dim] × n_tokens]}   every image in .cache/fixtures/images/
  .cache/fixtures/reference/tiny-colpali/<name>.npy   per image: the processor's pixel_values, float32 [3,64,64]
    texts[]:  {text, input_ids, embeddings}                         queries (process_queries)

Inputs go through the processor in batches, exactly as a ColPali user runs them (`model(**processor(...))`);
each input's multivector is its rows under attention_mask 1. The query augmentation tokens (<pad> × 10 that
the processor appends) are real tokens under mask 1 and stay; only batch padding is dropped. Every multivector
is also computed with the input alone (no padding) and must agree, so the reference does not depend on how
inputs were batched. Images are ImageOps.exif_transpose'd first, as in clip_reference.py (Hearth applies EXIF
orientation; transformers' processors do not).
Run from the repository root after make_tiny_colpali.py and clip_reference.py (which writes the images).
"""

import os

import fixture_common  # noqa: E402,F401  (offline Hugging Face settings, before transformers loads)

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from transformers import ColPaliForRetrieval, ColPaliProcessor

_report = fixture_common.Reporter("colpali_reference")
log = _report.log

MODEL = Path(".cache/fixtures/models/tiny-colpali")
IMAGES = Path(".cache/fixtures/images")
REF = Path(".cache/fixtures/reference")
NPY = REF / "tiny-colpali"
BATCH = 5

QUERIES = [
    "what is the total revenue in the table?",
    "Which figure shows the network diagram",
    "x",
    "",
    "the quick brown fox jumps over the lazy dog",
    "Ünïcödé façade — naïve café 東京 🙂",
    "UPPER and lower CASE, punctuation!?;:",
    "numbers 0123456789 and 3.14159",
    "  leading and trailing spaces  ",
    "line one\nline two\ttabbed",
    " ".join(["a long question that keeps going"] * 20),
]


def run(model, batch) -> list[np.ndarray]:
    with torch.no_grad():
        emb = model(**batch).embeddings.numpy()
    mask = batch["attention_mask"].numpy().astype(bool)
    return [e[m] for e, m in zip(emb, mask)]


def ids_of(batch) -> list[list[int]]:
    return [[int(i) for i, m in zip(ids, mask) if m] for ids, mask in zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist())]


def main() -> None:
    processor = ColPaliProcessor.from_pretrained(str(MODEL))
    model = ColPaliForRetrieval.from_pretrained(str(MODEL)).eval()
    files = sorted(p.name for p in IMAGES.iterdir())
    if len(files) < 10:
        print(f"[colpali_reference] ERROR: {IMAGES} holds {len(files)} images; run clip_reference.py first", file=sys.stderr)
        sys.exit(1)

    def load(name: str) -> Image.Image:
        with Image.open(IMAGES / name) as raw:
            raw.seek(0)
            image = ImageOps.exif_transpose(raw)
            image.load()
            return image

    shutil.rmtree(NPY, ignore_errors=True)
    NPY.mkdir(parents=True)
    worst = 0.0
    images = []
    for i in range(0, len(files), BATCH):
        names = files[i : i + BATCH]
        batch = processor.process_images([load(n) for n in names])
        for k, (name, ids, emb) in enumerate(zip(names, ids_of(batch), run(model, batch))):
            alone = run(model, processor.process_images([load(name)]))[0]
            worst = max(worst, float(np.abs(alone - emb).max()))
            np.save(NPY / f"{Path(name).stem}.npy", batch["pixel_values"][k].numpy().astype(np.float32))
            images.append({"file": name, "input_ids": ids, "pixel_values": f"tiny-colpali/{Path(name).stem}.npy", "embeddings": emb.tolist()})
    texts = []
    for i in range(0, len(QUERIES), BATCH):
        chunk = QUERIES[i : i + BATCH]
        batch = processor.process_queries(chunk)
        for text, ids, emb in zip(chunk, ids_of(batch), run(model, batch)):
            alone = run(model, processor.process_queries([text]))[0]
            if alone.shape != emb.shape:
                sys.exit(f"[colpali_reference] ERROR: {text!r}: {emb.shape} in a batch, {alone.shape} alone")
            worst = max(worst, float(np.abs(alone - emb).max()))
            texts.append({"text": text, "input_ids": ids, "embeddings": emb.tolist()})
    if worst > 1e-5:
        sys.exit(f"[colpali_reference] ERROR: batched vs alone differ by {worst:.3g}")
    out = {
        "model": str(MODEL),
        "processor": "ColPaliProcessor (SiglipImageProcessorPil), inputs ImageOps.exif_transpose(Image.open(file))",
        "semantics": "rows under attention_mask 1 of model(**processor(...)).embeddings; equal to the input run alone",
        "image_seq_length": processor.image_seq_length,
        "batched_vs_alone_max_abs_diff": worst,
        "images": images,
        "texts": texts,
    }
    REF.mkdir(parents=True, exist_ok=True)
    (REF / "tiny-colpali.json").write_text(json.dumps(out) + "\n")
    log(f"{len(images)} images, {len(texts)} queries, dim {len(texts[0]['embeddings'][0])}; batched vs alone {worst:.3g}")


if __name__ == "__main__":
    main()
