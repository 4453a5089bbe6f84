"""Build an offline cache for Python `tiktoken` from the ranks shipped in the npm package js-tiktoken.

Python tiktoken downloads `<name>.tiktoken` from a blob URL on first use and caches it as
$TIKTOKEN_CACHE_DIR/<sha1(url)>. We write those files ourselves:
  js-tiktoken ranks: {"pat_str", "special_tokens", "bpe_ranks"} where bpe_ranks is lines of
  "<tag> <first_rank> <b64 token> <b64 token> ..." (token k on a line has rank first_rank + k);
  .tiktoken: "<b64 token> <rank>\n" per token, sorted by rank.
tiktoken checks each file's sha256 against `expected_hash` in tiktoken_ext/openai_public.py, so
the output must be byte-identical to OpenAI's file. Then we compare encodings with js-tiktoken (node).

Run from the repository root (needs node_modules/js-tiktoken): python test/python/build_tiktoken_cache.py
"""

import base64
import hashlib
import json
import os

import fixture_common  # noqa: E402,F401
import subprocess
import sys
from pathlib import Path

_report = fixture_common.Reporter("build_tiktoken_cache")
log, fail = _report.log, _report.fail

CACHE = Path(".cache/fixtures/tiktoken")
RANKS = Path("node_modules/js-tiktoken/dist/ranks")
BLOB = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
# name -> expected sha256 (copied from tiktoken_ext/openai_public.py, re-checked below against the installed tiktoken)
ENCODINGS = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "r50k_base": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    "p50k_base": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
}
SAMPLES = [
    "hello world",
    "The quick brown fox jumps over the lazy dog.\n\n  indented\tline",
    "Привет, мир! 你好，世界 👨‍👩‍👧‍👦 naïve café",
    "def f(x):\n    return x ** 2  # 12345678901234",
    "",
]


def load_js_ranks(name: str) -> dict:
    src = (RANKS / f"{name}.cjs").read_text(encoding="utf-8").strip()
    prefix = "module.exports = "
    if not src.startswith(prefix):
        fail(f"unexpected format in {RANKS / name}.cjs")
    return json.loads(src[len(prefix) :].rstrip(";"))


def to_tiktoken(bpe_ranks: str) -> bytes:
    ranks: dict[int, str] = {}
    for line in bpe_ranks.split("\n"):
        if not line:
            continue
        _tag, offset, *tokens = line.split(" ")
        for i, tok in enumerate(tokens):
            ranks[int(offset) + i] = tok
    # js stores base64 without guaranteed canonical form; normalise via decode/encode.
    lines = [f"{base64.b64encode(base64.b64decode(ranks[r])).decode()} {r}\n" for r in sorted(ranks)]
    return "".join(lines).encode()


def check_expected_hashes() -> None:
    import inspect

    import tiktoken_ext.openai_public as op

    src = inspect.getsource(op)
    for name, h in ENCODINGS.items():
        if h not in src:
            fail(f"installed tiktoken no longer expects sha256 {h} for {name}; update ENCODINGS")


def js_encode(name: str) -> list:
    script = (
        "const { getEncoding } = require('js-tiktoken');"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        f"const enc = getEncoding('{name}');"
        "process.stdout.write(JSON.stringify(texts.map((t) => enc.encode(t))));"
    )
    res = subprocess.run(["node", "-e", script], input=json.dumps(SAMPLES), capture_output=True, text=True, check=False)
    if res.returncode != 0:
        fail(f"node js-tiktoken failed: {res.stderr.strip()}")
    return json.loads(res.stdout)


def main() -> None:
    if not RANKS.is_dir():
        fail(f"{RANKS} not found (run `npm ci` first)")
    check_expected_hashes()
    CACHE.mkdir(parents=True, exist_ok=True)
    for name, expected in ENCODINGS.items():
        path = CACHE / hashlib.sha1(BLOB.format(name).encode()).hexdigest()
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == expected:
            log(f"{name}: cached ({path.name})")
            continue
        data = to_tiktoken(load_js_ranks(name)["bpe_ranks"])
        got = hashlib.sha256(data).hexdigest()
        if got != expected:
            fail(f"{name}: sha256 {got} != expected {expected}")
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        log(f"{name}: wrote {path} ({len(data)} bytes, sha256 ok)")

    # Verify Python tiktoken loads from the cache (no network) and agrees with js-tiktoken.
    os.environ["TIKTOKEN_CACHE_DIR"] = str(CACHE.resolve())
    import tiktoken
    import tiktoken.load

    def no_network(url: str) -> bytes:
        raise RuntimeError(f"tiktoken tried to download {url}")

    tiktoken.load.read_file = no_network
    for name in ENCODINGS:
        enc = tiktoken.get_encoding(name)
        py = [enc.encode(s) for s in SAMPLES]
        if py != js_encode(name):
            fail(f"{name}: Python tiktoken and js-tiktoken disagree")
        log(f"{name}: Python tiktoken == js-tiktoken on {len(SAMPLES)} samples")
    log("done")


if __name__ == "__main__":
    main()
