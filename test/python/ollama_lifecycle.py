"""The whole model lifecycle through ollama-python, unmodified: pull (streamed), list, embed, ps,
unload with keep_alive=0, delete.

usage: python ollama_lifecycle.py <base_url> <model>
Prints one JSON object describing what each step saw.
"""

import json
import sys

import ollama


def names(models) -> list[str]:
    return [m.model for m in models]


def main() -> None:
    base_url, model = sys.argv[1:]
    client = ollama.Client(host=base_url)
    statuses = [p.status for p in client.pull(model, stream=True)]
    listed = names(client.list().models)
    embedded = client.embed(model=model, input=["lifecycle"])
    loaded = names(client.ps().models)
    client.embed(model=model, input=[], keep_alive=0)
    after_unload = names(client.ps().models)
    client.delete(model)
    after_delete = names(client.list().models)
    print(json.dumps({
        "pull_statuses": statuses,
        "listed": listed,
        "dims": len(embedded.embeddings[0]),
        "loaded": loaded,
        "after_unload": after_unload,
        "after_delete": after_delete,
    }))


if __name__ == "__main__":
    main()
