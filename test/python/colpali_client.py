"""A ColPali API client as the one in the wild (colpali_api_embedding_model.py) behaves.

POST {base}/embeddings with `Authorization: Bearer <key>` and {"input_type", "inputs"}, no Accept header
(requests sends */*); the answer is read as NPZ with numpy.load when it is one, else as JSON. Inputs go
in batches; a 413 halves the batch and retries the same inputs (down to one input, then it gives up),
and the smaller size is kept for the rest. Multivectors come back as float32 arrays (n_vectors, dim).
"""

import base64
import io
from pathlib import Path

import numpy as np
import requests


class PayloadTooLarge(Exception):
    pass


class ColPaliApiClient:
    def __init__(self, base_url: str, api_key: str | None = None, batch_size: int = 16, timeout: float = 60.0):
        self.url = base_url.rstrip("/") + "/embeddings"
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.batch_size = batch_size
        self.timeout = timeout
        self.batch_sizes: list[int] = []  # every batch size sent, in order (for the tests)
        self.responses_413 = 0
        self.formats: set[str] = set()

    def embed_queries(self, queries: list[str]) -> list[np.ndarray]:
        return self._embed("text", queries)

    def embed_images(self, paths: list[Path]) -> list[np.ndarray]:
        return self._embed("image", [base64.b64encode(Path(p).read_bytes()).decode("ascii") for p in paths])

    def _embed(self, input_type: str, inputs: list[str]) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        i = 0
        while i < len(inputs):
            chunk = inputs[i : i + self.batch_size]
            try:
                out.extend(self._post(input_type, chunk))
            except PayloadTooLarge:
                if self.batch_size == 1:
                    raise
                self.batch_size = max(1, self.batch_size // 2)
                continue
            i += len(chunk)
        return out

    def _post(self, input_type: str, inputs: list[str]) -> list[np.ndarray]:
        self.batch_sizes.append(len(inputs))
        res = requests.post(self.url, json={"input_type": input_type, "inputs": inputs}, headers=self.headers, timeout=self.timeout)
        if res.status_code == 413:
            self.responses_413 += 1
            raise PayloadTooLarge(res.text)
        res.raise_for_status()
        kind = res.headers.get("content-type", "").split(";")[0]
        if kind in ("application/x-npz", "application/octet-stream"):
            self.formats.add("npz")
            with np.load(io.BytesIO(res.content), allow_pickle=False) as npz:
                count = int(npz["count"])
                if str(npz["input_type"]) != input_type:
                    raise ValueError(f"input_type {npz['input_type']!r} != {input_type!r}")
                return [npz[f"emb_{k}"] for k in range(count)]
        self.formats.add("json")
        return [np.asarray(e, dtype=np.float32) for e in res.json()["embeddings"]]
