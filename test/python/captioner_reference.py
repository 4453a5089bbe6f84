"""Reference captions for the tiny captioner: transformers' greedy `generate` on the CLIP test images.

  .cache/fixtures/reference/tiny-captioner/<name>.npy   per image: pixel_values, float32 [3,224,224] (ViTImageProcessorPil)
  .cache/fixtures/reference/tiny-captioner.json
    images[]: file, pixel_values (the .npy), pixel_mean/std, token_ids (generated, after the decoder start token),
              caption (tokenizer.decode(skip_special_tokens=True)), min_margin (smallest top-1 − top-2 logit gap on
              the greedy path: how far parity is from a float tie), short (max_new_tokens=SHORT), prompted (with PROMPT)
    distinct_captions, min_margin: the fixture's health (random weights must still caption images differently)

Images are opened as Hearth decodes them and as transformers' image-to-text pipeline loads them (load_image):
ImageOps.exif_transpose(Image.open(file)).convert("RGB"), first frame, alpha dropped (ViTImageProcessor does not
convert to RGB itself); the processor resizes to 224×224 bilinear. The prompt variant forces
[decoder_start, *tokenizer(PROMPT)] as decoder_input_ids and keeps only the tokens generated after them.
Run from the repository root after make_tiny_captioner.py: python test/python/captioner_reference.py
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
from transformers import AutoTokenizer, ViTImageProcessorPil, VisionEncoderDecoderModel

_report = fixture_common.Reporter("captioner_reference")
log = _report.log

MODEL = Path(".cache/fixtures/models/tiny-captioner")
IMAGES = Path(".cache/fixtures/images")
REF = Path(".cache/fixtures/reference")
NPY = REF / "tiny-captioner"
SHORT = 4
PROMPT = "a photo of"


def greedy(model, pixel_values, **kw) -> tuple[list[int], float]:
    with torch.no_grad():
        out = model.generate(pixel_values=pixel_values, do_sample=False, num_beams=1, output_scores=True, return_dict_in_generate=True, **kw)
    start = kw["decoder_input_ids"].shape[1] if "decoder_input_ids" in kw else 1
    ids = out.sequences[0, start:].tolist()
    margin = min(float((s[0].topk(2).values[0] - s[0].topk(2).values[1])) for s in out.scores)
    return ids, margin


def main() -> None:
    names = sorted(p.name for p in IMAGES.iterdir())
    if len(names) < 10:
        print(f"need ≥ 10 images in {IMAGES} (clip_reference.py makes them)", file=sys.stderr)
        sys.exit(1)
    processor = ViTImageProcessorPil.from_pretrained(str(MODEL))
    tokenizer = AutoTokenizer.from_pretrained(str(MODEL))
    model = VisionEncoderDecoderModel.from_pretrained(str(MODEL)).eval()
    start = model.generation_config.decoder_start_token_id
    prompt_ids = tokenizer(PROMPT, add_special_tokens=False)["input_ids"]
    shutil.rmtree(NPY, ignore_errors=True)
    NPY.mkdir(parents=True)
    entries = []
    for name in names:
        with Image.open(IMAGES / name) as raw:
            raw.seek(0)
            # As transformers' image-to-text pipeline (load_image): RGB by convert("RGB"), alpha dropped.
            image = ImageOps.exif_transpose(raw).convert("RGB")
            pv = processor(images=image, return_tensors="pt")["pixel_values"]
        np.save(NPY / f"{Path(name).stem}.npy", pv[0].numpy().astype(np.float32))
        ids, margin = greedy(model, pv)
        short, _ = greedy(model, pv, max_new_tokens=SHORT)
        prompted, pmargin = greedy(model, pv, decoder_input_ids=torch.tensor([[start, *prompt_ids]]))
        entries.append({
            "file": name,
            "pixel_values": f"tiny-captioner/{Path(name).stem}.npy",
            "pixel_mean": float(pv.mean()),
            "pixel_std": float(pv.std()),
            "token_ids": ids,
            "caption": tokenizer.decode(ids, skip_special_tokens=True),
            "min_margin": min(margin, pmargin),
            "short": {"max_new_tokens": SHORT, "token_ids": short, "caption": tokenizer.decode(short, skip_special_tokens=True)},
            "prompted": {"token_ids": prompted, "caption": tokenizer.decode(prompted, skip_special_tokens=True)},
        })
    out = {
        "model": str(MODEL),
        "generate": "greedy (do_sample=False, num_beams=1), generation_config defaults (max_length %d)" % model.generation_config.max_length,
        "processor": "ViTImageProcessorPil, inputs ImageOps.exif_transpose(Image.open(file)).convert('RGB')",
        "decoder_start_token_id": start,
        "eos_token_id": model.generation_config.eos_token_id,
        "prompt": {"text": PROMPT, "token_ids": prompt_ids},
        "distinct_captions": len({e["caption"] for e in entries}),
        "min_margin": min(e["min_margin"] for e in entries),
        "images": entries,
    }
    (REF / "tiny-captioner.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    log(f"{len(entries)} images, {out['distinct_captions']} distinct captions, min logit margin {out['min_margin']:.3g}")


if __name__ == "__main__":
    main()
