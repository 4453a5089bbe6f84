"""Shared by the fixture scripts. Import it before transformers or huggingface_hub: it makes them offline.

Nothing here may touch the network: the machines that build fixtures reach only package registries.
"""

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Reporter:
    """Prefixed progress lines on stdout; `fail` prints to stderr and exits 1 (the asset script stops there)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def log(self, msg: str) -> None:
        print(f"[{self.name}] {msg}", flush=True)

    def fail(self, msg: str) -> None:
        print(f"[{self.name}] ERROR: {msg}", file=sys.stderr, flush=True)
        sys.exit(1)
