"""Reference CLIP preprocessing and image embeddings for the tiny CLIP, on generated test images.

  .cache/fixtures/images/*.{png,jpg,webp,gif}      24 deterministic images (sizes, modes, alpha, EXIF, CMYK, ...)
  .cache/fixtures/reference/tiny-clip.json         per image: pixel_values stats + image_embeds (torch)
  .cache/fixtures/reference/tiny-clip/<name>.npy   per image: the full pixel_values, float32 [3,224,224]
  tiny-clip.json "texts"                           per string: input_ids + text_embeds (get_text_features, padding, truncation 77)

The reference is what a transformers user gets from `processor(images=Image.open(f))`, with one change:
EXIF orientation. transformers' image processors do NOT apply it (CLIPImageProcessorPil takes the PIL
image as stored); only `transformers.image_utils.load_image` calls `ImageOps.exif_transpose`. Hearth's
decoder always applies it, so every image here goes through `ImageOps.exif_transpose` first (a no-op
for all but the orientation-6 JPEG).

Alpha: the processor's convert_to_rgb composites images with alpha (or a `transparency` entry) onto
white. `load_image` instead calls `.convert("RGB")`, which drops alpha. Images with alpha also get
`load_image` entries (pixel_values + embeds from `load_image(path)`), so both conventions are checkable.
Run from the repository root after make_tiny_clip.py: python test/python/clip_reference.py
"""

import os

import fixture_common  # noqa: E402,F401  (offline Hugging Face settings, before transformers loads)

import io
import json
import shutil
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont, ImageOps
from transformers import CLIPImageProcessorPil, CLIPModel, CLIPTokenizerFast
from transformers.image_utils import load_image

_report = fixture_common.Reporter("clip_reference")
log = _report.log

MODEL = Path(".cache/fixtures/models/tiny-clip")
IMAGES = Path(".cache/fixtures/images")
REF = Path(".cache/fixtures/reference")
NPY = REF / "tiny-clip"


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def gradient(w: int, h: int) -> Image.Image:
    x = np.linspace(0, 255, w)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h)[:, None].repeat(w, 1)
    return Image.fromarray(np.stack([x, y, 255 - (x + y) / 2], -1).astype(np.uint8), "RGB")


def noise(w: int, h: int, seed: int) -> Image.Image:
    return Image.fromarray(rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


def scene(w: int, h: int, seed: int) -> Image.Image:
    """Smooth background, shapes and a little noise: photo-ish content with edges."""
    r = rng(seed)
    im = gradient(w, h)
    d = ImageDraw.Draw(im)
    for _ in range(12):
        x0, y0 = int(r.integers(0, w)), int(r.integers(0, h))
        x1, y1 = x0 + int(r.integers(5, max(6, w // 3))), y0 + int(r.integers(5, max(6, h // 3)))
        colour = tuple(int(c) for c in r.integers(0, 256, 3))
        (d.ellipse if r.random() < 0.5 else d.rectangle)([x0, y0, x1, y1], fill=colour)
    arr = np.asarray(im).astype(np.int16) + r.integers(-12, 13, (h, w, 3))
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def text_image() -> Image.Image:
    im = Image.new("RGB", (400, 300), (250, 250, 245))
    d = ImageDraw.Draw(im)
    font = ImageFont.load_default()
    for i, line in enumerate(["Hearth CLIP preprocessing", "The quick brown fox", "jumps over the lazy dog", "0123456789 !?@#"]):
        d.text((12, 20 + 40 * i), line, fill=(20, 20, 60), font=font)
    return im


def checkerboard(w: int, h: int, cell: int) -> Image.Image:
    yy, xx = np.mgrid[0:h, 0:w]
    on = ((yy // cell + xx // cell) % 2).astype(np.uint8) * 255
    return Image.fromarray(np.stack([on, 255 - on, on // 2], -1), "RGB")


def rgba(w: int, h: int) -> Image.Image:
    base = np.asarray(scene(w, h, 7))
    yy, xx = np.mgrid[0:h, 0:w]
    alpha = (((xx / w) * 255).astype(np.int32) ^ ((yy // 16) % 2 * 255)).clip(0, 255).astype(np.uint8)
    alpha[: h // 4] = 0  # fully transparent band: the colour stored under it must not leak differently
    return Image.fromarray(np.dstack([base, alpha]), "RGBA")


def save(im: Image.Image, name: str, **kw) -> str:
    im.save(IMAGES / name, **kw)
    return name


def exif_rotated() -> str:
    # Stored as 320×240 landscape, displayed as 240×320 portrait (orientation 6 = rotate 90° CW).
    im = scene(320, 240, 11)
    exif = Image.Exif()
    exif[0x0112] = 6
    return save(im, "exif_orientation6_320x240.jpg", quality=92, exif=exif.tobytes())


def animated_gif() -> str:
    frames = [scene(300, 200, 20 + i).quantize(64) for i in range(3)]
    frames[0].save(IMAGES / "animated_300x200.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return "animated_300x200.gif"


def make_images() -> list[str]:
    shutil.rmtree(IMAGES, ignore_errors=True)
    IMAGES.mkdir(parents=True)
    palette = scene(256, 192, 5).quantize(32)
    palette_t = palette.copy()
    palette_t.info["transparency"] = 0
    la = Image.merge("LA", [scene(200, 260, 9).convert("L"), Image.fromarray(rng(3).integers(0, 256, (260, 200), dtype=np.uint8))])
    return [
        save(gradient(224, 224), "gradient_224x224.png"),
        save(scene(640, 480, 1), "scene_640x480.jpg", quality=90),
        save(scene(480, 640, 2), "scene_480x640.png"),
        save(scene(1000, 200, 3), "panorama_1000x200.webp", quality=85),
        save(scene(33, 77, 4), "tiny_33x77.png"),
        save(noise(640, 480, 5), "noise_640x480.png"),
        save(noise(227, 225, 6), "noise_227x225.png"),
        save(scene(300, 200, 7).convert("L"), "gray_L_300x200.png"),
        save(scene(500, 375, 8).convert("L"), "gray_L_500x375.jpg", quality=88),
        save(rgba(256, 256), "rgba_256x256.png"),
        save(rgba(320, 240), "rgba_lossless_320x240.webp", lossless=True),
        save(la, "gray_alpha_LA_200x260.png"),
        save(palette, "palette_P_256x192.png"),
        save(palette_t, "palette_P_transparent_256x192.png", transparency=0),
        save(scene(400, 300, 10).convert("CMYK"), "cmyk_400x300.jpg", quality=92),
        exif_rotated(),
        save(text_image(), "text_400x300.png"),
        save(checkerboard(500, 333, 3), "checkerboard_500x333.png"),
        save(gradient(1920, 1080), "gradient_1920x1080.jpg", quality=80),
        save(scene(800, 600, 12), "scene_800x600.webp", quality=75),
        save(scene(224, 500, 13), "tall_224x500.png"),
        save(scene(2000, 100, 14), "strip_2000x100.png"),
        save(scene(301, 257, 15), "odd_301x257.jpg", quality=95, subsampling=0),
        animated_gif(),
    ]


TEXTS = [
    "a photo of a cat",
    "A diagram of the Hearth request path",
    "the quick brown fox jumps over the lazy dog",
    "",
    "x",
    "Ünïcödé façade — naïve café 東京 🙂",
    "UPPER and lower CASE, punctuation!?;:",
    "numbers 0123456789 and 3.14159",
    "  leading and trailing spaces  ",
    " ".join(["a long caption that runs past the seventy-seven token limit"] * 12),
]


def text_entries(model: CLIPModel) -> list[dict]:
    tokenizer = CLIPTokenizerFast.from_pretrained(str(MODEL))
    enc = tokenizer(TEXTS, padding=True, truncation=True, max_length=77, return_tensors="pt")
    with torch.no_grad():
        out = model.get_text_features(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
    emb = (out.pooler_output if hasattr(out, "pooler_output") else out).numpy()
    return [
        {"text": t, "input_ids": [int(i) for i, m in zip(ids, mask) if m], "text_embeds": [float(v) for v in e]}
        for t, ids, mask, e in zip(TEXTS, enc["input_ids"].tolist(), enc["attention_mask"].tolist(), emb)
    ]


def main() -> None:
    names = make_images()
    shutil.rmtree(NPY, ignore_errors=True)
    NPY.mkdir(parents=True)
    processor = CLIPImageProcessorPil.from_pretrained(str(MODEL))
    model = CLIPModel.from_pretrained(str(MODEL)).eval()

    def run(image: Image.Image, stem: str) -> dict:
        pv = processor(images=image, return_tensors="np")["pixel_values"].astype(np.float32)
        np.save(NPY / f"{stem}.npy", pv[0])
        with torch.no_grad():
            emb = model.get_image_features(pixel_values=torch.from_numpy(pv)).pooler_output[0].numpy()
        return {
            "pixel_values": f"tiny-clip/{stem}.npy",
            "pixel_mean": float(pv.mean()),
            "pixel_std": float(pv.std()),
            "image_embeds": [float(v) for v in emb],
        }

    entries = []
    for name in names:
        with Image.open(IMAGES / name) as raw:
            mode, size, exif_orientation = raw.mode, raw.size, raw.getexif().get(0x0112, 1)
            raw.seek(0)
            image = ImageOps.exif_transpose(raw)  # see the module docstring
            has_alpha = "A" in image.getbands() or image.info.get("transparency") is not None
            entry = {"file": name, "mode": mode, "size": list(size), "exif_orientation": exif_orientation, "alpha": has_alpha}
            entry |= run(image, Path(name).stem)
        if has_alpha:
            entry["load_image"] = run(load_image(str(IMAGES / name)), Path(name).stem + ".load_image")
        entries.append(entry)
    out = {
        "model": str(MODEL),
        "processor": "CLIPImageProcessorPil (transformers PIL backend), inputs ImageOps.exif_transpose(Image.open(file))",
        "alpha": "processor: composited onto white; load_image entries: alpha dropped (convert('RGB'))",
        "images": entries,
        "texts": text_entries(model),
    }
    (REF / "tiny-clip.json").write_text(json.dumps(out, indent=1) + "\n")
    log(f"{len(entries)} images, {sum('load_image' in e for e in entries)} with alpha, {len(out['texts'])} texts")


if __name__ == "__main__":
    main()
