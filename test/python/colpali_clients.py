"""Drive a Hearth server's ColPali contract with the ColPali client (colpali_client.py) and check it.

usage: python colpali_clients.py <base_url> <api_key> <reference.json> <images_dir>
The server is expected to run with a small HEARTH_MAX_MEDIA_BODY_BYTES and HEARTH_COLPALI_MAX_INPUTS, so the client
must halve its batches on 413 to get through. Prints one JSON object: per input type the batch sizes sent,
the 413s seen, the formats read, and the minimum per-vector cosine vs the reference; plus the NPZ's dtypes
as numpy.load reads them.
"""

import io
import json
import sys
from pathlib import Path

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).parent))
from colpali_client import ColPaliApiClient  # noqa: E402


def min_cosine(got: list[np.ndarray], ref: list[list[list[float]]]) -> float:
    worst = 1.0
    for g, r in zip(got, ref, strict=True):
        r = np.asarray(r, dtype=np.float32)
        if g.shape != r.shape:
            raise SystemExit(f"shape {g.shape} != reference {r.shape}")
        cos = (g * r).sum(1) / np.linalg.norm(g, axis=1) / np.linalg.norm(r, axis=1)
        worst = min(worst, float(cos.min()))
    return worst


def main() -> None:
    base, key, ref_path, images = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    ref = json.loads(ref_path.read_text())
    out: dict = {}
    for kind in ("text", "image"):
        client = ColPaliApiClient(base, key, batch_size=16)
        if kind == "text":
            got = client.embed_queries([t["text"] for t in ref["texts"]])
            expected = [t["embeddings"] for t in ref["texts"]]
        else:
            got = client.embed_images([images / e["file"] for e in ref["images"]])
            expected = [e["embeddings"] for e in ref["images"]]
        out[kind] = {
            "count": len(got),
            "batch_sizes": client.batch_sizes,
            "responses_413": client.responses_413,
            "formats": sorted(client.formats),
            "dtype": str(got[0].dtype),
            "min_cosine": min_cosine(got, expected),
        }
    # The NPZ as numpy.load sees it, field by field.
    res = requests.post(base.rstrip("/") + "/embeddings", json={"input_type": "text", "inputs": [ref["texts"][2]["text"], ref["texts"][0]["text"]]}, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    res.raise_for_status()
    with np.load(io.BytesIO(res.content), allow_pickle=False) as npz:
        out["npz"] = {
            "content_type": res.headers.get("content-type"),
            "files": sorted(npz.files),
            "arrays": {name: {"dtype": npz[name].dtype.str, "shape": list(npz[name].shape)} for name in npz.files},
            "count": int(npz["count"]),
            "input_type": str(npz["input_type"]),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
