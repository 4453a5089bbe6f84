"""OCR fixtures + RapidOCR reference (test/integration/ocr.test.ts, bench/ocr.ts).

Renders test images from known text (DejaVu fonts; WenQuanYi Micro Hei for the Chinese line),
runs RapidOCR (rapidocr-onnxruntime 1.4.4, PaddleOCR PP-OCRv4 in ONNX) on each, and writes
    .cache/fixtures/ocr/images/<name>.png
    .cache/fixtures/ocr/docs/{two-pages,encrypted,zero-pages}.pdf, bomb.png
    .cache/fixtures/ocr/reference.json   {images:[{name, truth, rapid:{texts, scores, boxes, cer}}]}
CER = Levenshtein distance / truth length on the text with all whitespace removed (PP-OCR's
Chinese models often drop the space between Latin words; both sides are scored the same way),
lines in RapidOCR's reading order (top to bottom, then left to right within 10 px), truth
written in the same row-major order.
Usage: python ocr_reference.py [--bench IMAGE_DIR ITERATIONS THREADS NAMES | --serve THREADS]   (timings for bench/ocr.ts)
"""
import json
import sys
import time
import zlib
import struct
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".cache" / "fixtures" / "ocr"
DEJAVU = "/usr/share/fonts/truetype/dejavu/"
CJK = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(name if name.startswith("/") else DEJAVU + name, size)


def canvas(w, h, bg="white"):
    im = Image.new("RGB", (w, h), bg)
    return im, ImageDraw.Draw(im)


def sizes():
    im, d = canvas(900, 360)
    lines = [(14, "Small print at fourteen pixels 0123"), (20, "Twenty pixel text for readers"), (28, "Invoice number 48213-B"), (40, "Large heading 2026")]
    y = 20
    for size, text in lines:
        d.text((24, y), text, font=font("DejaVuSans.ttf", size), fill=(10, 10, 10))
        y += int(size * 2.2)
    return im, [t for _, t in lines]


def inverse():
    im, d = canvas(760, 220, bg=(24, 32, 64))
    lines = ["Light text on a dark background", "Status: ONLINE since 09:41"]
    for i, t in enumerate(lines):
        d.text((30, 40 + i * 80), t, font=font("DejaVuSans-Bold.ttf", 30), fill=(240, 240, 230))
    return im, lines


def rotated():
    im, d = canvas(700, 200)
    lines = ["This page was scanned upside down", "Reference 7731 page 2"]
    for i, t in enumerate(lines):
        d.text((30, 40 + i * 70), t, font=font("DejaVuSerif.ttf", 30), fill="black")
    return im.rotate(180), lines[::-1]


def columns():
    im, d = canvas(1000, 420)
    left = ["Left column first line", "second line on the left", "third one closes it"]
    right = ["Right column begins here", "with its own second line", "and a final row 42"]
    f = font("DejaVuSans.ttf", 24)
    for i in range(3):
        d.text((30, 40 + i * 110), left[i], font=f, fill="black")
        d.text((540, 40 + i * 110), right[i], font=f, fill="black")
    # Row-major: RapidOCR's order for side-by-side lines at the same height.
    return im, [x for pair in zip(left, right) for x in pair]


def receipt():
    rows = [("CORNER CAFE", None), ("Espresso", "2.80"), ("Croissant", "3.10"), ("Orange juice", "4.25"), ("TOTAL", "10.15"), ("Card 4411", None)]
    im, d = canvas(420, 60 + 56 * len(rows), bg=(250, 248, 240))
    f = font("DejaVuSansMono.ttf", 24)
    truth = []
    for i, (item, price) in enumerate(rows):
        y = 30 + i * 56
        d.text((24, y), item, font=f, fill=(30, 30, 30))
        if price:
            d.text((300, y), price, font=f, fill=(30, 30, 30))
        truth.append(item if price is None else f"{item} {price}")
    return im, truth


def mixed_zh():
    im, d = canvas(820, 200)
    lines = ["识别中文和English混合文本", "价格 128 元 Price 128 CNY"]
    for i, t in enumerate(lines):
        d.text((30, 40 + i * 70), t, font=font(CJK, 34), fill="black")
    return im, lines


def large():
    """Longer side over RapidOCR's max_side_len (2000): scaled down first, boxes mapped back."""
    im, truth = sizes()
    return im.resize((im.width * 5 // 2, im.height * 5 // 2), Image.BICUBIC), truth


def strip():
    """A single 26 px line: shorter than min_side_len (30), so scaled up, then letterboxed."""
    im, d = canvas(460, 26)
    d.text((6, 2), "Strip label 55-A", font=font("DejaVuSans.ttf", 18), fill="black")
    return im, ["Strip label 55-A"]


def blank():
    im, _ = canvas(640, 480)
    return im, []


IMAGES = {"sizes": sizes, "inverse": inverse, "rotated": rotated, "columns": columns, "receipt": receipt, "mixed-zh": mixed_zh, "large": large, "strip": strip, "blank": blank}


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def squash(s: str) -> str:
    return "".join(s.split())


def cer(truth_lines, texts) -> float:
    truth = squash("".join(truth_lines))
    hyp = squash("".join(texts))
    if not truth:
        return 0.0 if not hyp else 1.0
    return levenshtein(hyp, truth) / len(truth)


def engine(threads: int = -1):
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(intra_op_num_threads=threads) if threads > 0 else RapidOCR()


def run(eng, path):
    result, _ = eng(str(path))
    result = result or []
    return [r[1] for r in result], [float(r[2]) for r in result], [[[float(x), float(y)] for x, y in r[0]] for r in result]


def bomb(path: Path, w=40000, h=40000):
    """A 1-bit PNG whose header says 1.6 gigapixels; a few hundred KB on disk."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    comp = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((w + 7) // 8)
    body = b"".join(comp.compress(row) for _ in range(h)) + comp.flush()
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    path.write_bytes(png)


def pdfs(docs: Path, images: Path):
    from pypdf import PdfWriter, PdfReader

    pages = [Image.open(images / "sizes.png").convert("RGB"), Image.open(images / "receipt.png").convert("RGB")]
    pages[0].save(docs / "two-pages.pdf", save_all=True, append_images=pages[1:], resolution=100)
    writer = PdfWriter(clone_from=PdfReader(docs / "two-pages.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with open(docs / "encrypted.pdf", "wb") as f:
        writer.write(f)
    with open(docs / "zero-pages.pdf", "wb") as f:
        PdfWriter().write(f)


def bench(image_dir: str, iterations: int, threads: int, names: str):
    eng = engine(threads)
    wanted = set(names.split(","))
    paths = sorted(p for p in Path(image_dir).glob("*.png") if p.stem in wanted)
    for p in paths:
        eng(str(p))  # warm-up
    out = {}
    for p in paths:
        times = []
        for _ in range(iterations):
            t = time.perf_counter()
            eng(str(p))
            times.append((time.perf_counter() - t) * 1000)
        out[p.stem] = times
    print(json.dumps(out))


def serve(threads: int):
    """bench/ocr.ts drives this: one image path per stdin line, answered with its OCR time in ms."""
    eng = engine(threads)
    print("ready", flush=True)
    for line in sys.stdin:
        path = line.strip()
        t = time.perf_counter()
        eng(path)
        print(f"{(time.perf_counter() - t) * 1000:.3f}", flush=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--bench":
        return bench(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        return serve(int(sys.argv[2]))
    for f in (DEJAVU + "DejaVuSans.ttf", CJK):
        if not Path(f).exists():
            sys.exit(f"ocr_reference.py: font {f} is missing (Debian: fonts-dejavu-core fonts-wqy-microhei; scripts/test.sh installs them)")
    images = OUT / "images"
    docs = OUT / "docs"
    images.mkdir(parents=True, exist_ok=True)
    docs.mkdir(parents=True, exist_ok=True)
    eng = engine()
    entries = []
    for name, make in IMAGES.items():
        im, truth = make()
        path = images / f"{name}.png"
        im.save(path)
        texts, scores, boxes = run(eng, path)
        entries.append({"name": name, "file": f"images/{name}.png", "truth": truth, "rapid": {"texts": texts, "scores": scores, "boxes": boxes, "cer": cer(truth, texts)}})
        print(f"  {name}: rapid CER {entries[-1]['rapid']['cer']:.4f} {texts}", file=sys.stderr)
    pdfs(docs, images)
    bomb(docs / "bomb.png")
    import rapidocr_onnxruntime

    meta = {"rapidocr": rapidocr_onnxruntime.__name__ + " 1.4.4", "cer": "levenshtein(hyp, truth) / len(truth), whitespace removed"}
    (OUT / "reference.json").write_text(json.dumps({"meta": meta, "images": entries}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
