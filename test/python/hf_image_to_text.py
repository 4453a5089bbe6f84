"""huggingface_hub's InferenceClient.image_to_text against Hearth, unmodified: the model is Hearth's captions URL.

  python test/python/hf_image_to_text.py <captions url, e.g. http://127.0.0.1:8000/v1/images/captions?model=…> <image>…
Prints a JSON list of the generated texts, one per image.
"""

import json
import sys

from huggingface_hub import InferenceClient


def main() -> None:
    url, images = sys.argv[1], sys.argv[2:]
    client = InferenceClient(model=url)
    print(json.dumps([client.image_to_text(path).generated_text for path in images]))


if __name__ == "__main__":
    main()
