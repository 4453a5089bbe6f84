"""Drive a server with the real ollama-python client, unmodified: embed, list, ps.

usage: python ollama_clients.py <base_url> <model> <inputs.json>
Prints one JSON object: {"embed": [[...]], "list": [names], "ps": [{name, expires_at}], "types": {...}}.
"""

import json
import sys

import ollama


def main() -> None:
    base_url, model, inputs_path = sys.argv[1:]
    with open(inputs_path, encoding="utf-8") as f:
        inputs = json.load(f)
    client = ollama.Client(host=base_url)
    embedded = client.embed(model=model, input=inputs)
    listed = client.list()
    running = client.ps()
    shown = client.show(model)
    print(json.dumps({
        "embed": [list(v) for v in embedded.embeddings],
        "prompt_eval_count": embedded.prompt_eval_count,
        "list": [m.model for m in listed.models],
        "list_modified_types": sorted({type(m.modified_at).__name__ for m in listed.models}),
        "ps": [{"name": m.model, "expires_at": m.expires_at.isoformat() if m.expires_at else None} for m in running.models],
        "ps_expires_types": sorted({type(m.expires_at).__name__ for m in running.models}),
        "show_capabilities": list(shown.capabilities or []),
        "show_model_info_keys": sorted((shown.modelinfo or {}).keys()),
    }))


if __name__ == "__main__":
    main()
