"""Embed images and text with an unmodified openai-python client against a CLIP model on Hearth.

usage: python openai_clip_client.py <base_url_with_/v1> <model> <inputs.json>
inputs.json: {"images": ["data:image/png;base64,...", ...], "texts": ["...", ...]}
Images go as data URLs with Hearth's (and Infinity's) `modality: "image"` passed through `extra_body`;
the client keeps its default encoding (base64). Prints {"images": [[...]], "texts": [[...]]}.
"""

import json
import sys

from openai import OpenAI


def main() -> None:
    base_url, model, path = sys.argv[1:4]
    with open(path, encoding="utf-8") as f:
        inputs = json.load(f)
    client = OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    images = client.embeddings.create(model=model, input=inputs["images"], extra_body={"modality": "image"})
    texts = client.embeddings.create(model=model, input=inputs["texts"])
    print(json.dumps({"images": [d.embedding for d in images.data], "texts": [d.embedding for d in texts.data]}))


if __name__ == "__main__":
    main()
