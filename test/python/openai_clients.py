"""Call an OpenAI-compatible /v1/embeddings server with three real Python clients, using their defaults.

usage: python openai_clients.py <base_url_with_/v1> <api_key> <inputs.json>
env:   TIKTOKEN_CACHE_DIR must point at the cache built by build_tiktoken_cache.py (LangChain tokenizes).

Prints one JSON object: openai, langchain_documents, langchain_query, llamaindex_batch, llamaindex_query,
and notes (what each client put on the wire, recorded by watching the HTTP transport; nothing is altered).
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import json
import sys
import traceback

import httpx2

REQUESTS: list[dict] = []


def _watch_transport() -> None:
    """Record each request body as it leaves (openai-python >= 3 sends through httpx2)."""
    original = httpx2.HTTPTransport.handle_request

    def handle_request(self, request):
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            body = None
        REQUESTS.append({"path": request.url.path, "body": body})
        return original(self, request)

    httpx2.HTTPTransport.handle_request = handle_request


def _describe(body) -> dict:
    """Summarise one /embeddings request body."""
    if not isinstance(body, dict):
        return {"body": body}
    inp = body.get("input")
    if isinstance(inp, str):
        kind, n = "string", 1
    elif isinstance(inp, list) and inp and all(isinstance(x, list) for x in inp):
        kind, n = "token_id_arrays", len(inp)
    elif isinstance(inp, list) and inp and all(isinstance(x, int) for x in inp):
        kind, n = "token_ids", 1
    else:
        kind, n = "strings", len(inp) if isinstance(inp, list) else None
    out = {k: v for k, v in body.items() if k != "input"}
    out.update({"input_kind": kind, "batch_size": n})
    if kind in ("string", "strings"):
        texts = [inp] if isinstance(inp, str) else inp
        out["has_newline"] = any("\n" in t for t in texts)
        out["has_empty_string"] = any(t == "" for t in texts)
    elif kind == "token_id_arrays":
        out["max_tokens_per_array"] = max(len(x) for x in inp)
    return out


def _take() -> list[dict]:
    sent = [_describe(r["body"]) for r in REQUESTS if r["path"].endswith("/embeddings")]
    REQUESTS.clear()
    return sent


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit("usage: python openai_clients.py <base_url_with_/v1> <api_key> <inputs.json>")
    base_url, api_key, inputs_path = sys.argv[1:]
    with open(inputs_path, encoding="utf-8") as f:
        inputs = json.load(f)
    if not isinstance(inputs, list) or not inputs or not all(isinstance(s, str) for s in inputs):
        sys.exit("inputs.json must be a non-empty JSON array of strings")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        print("warning: TIKTOKEN_CACHE_DIR is not set; tiktoken may try to download", file=sys.stderr)

    _watch_transport()
    from langchain_openai import OpenAIEmbeddings
    from llama_index.embeddings.openai import OpenAIEmbedding
    from openai import OpenAI

    from importlib.metadata import version

    pkgs = ("openai", "langchain-openai", "llama-index-embeddings-openai", "tiktoken")
    out: dict = {"notes": {"versions": {p: version(p) for p in pkgs}}}

    resp = OpenAI(base_url=base_url, api_key=api_key).embeddings.create(model="text-embedding-3-small", input=inputs)
    out["openai"] = [d.embedding for d in resp.data]
    out["notes"]["openai"] = {"requests": _take()}

    lc = OpenAIEmbeddings(model="text-embedding-3-small", base_url=base_url, api_key=api_key)
    out["langchain_documents"] = lc.embed_documents(inputs)
    out["notes"]["langchain_documents"] = {"requests": _take()}
    out["langchain_query"] = lc.embed_query(inputs[0])
    out["notes"]["langchain_query"] = {"requests": _take()}

    li = OpenAIEmbedding(api_base=base_url, api_key=api_key)
    out["notes"]["llamaindex_model"] = li.model_name
    out["llamaindex_batch"] = li.get_text_embedding_batch(inputs)
    out["notes"]["llamaindex_batch"] = {"requests": _take()}
    out["llamaindex_query"] = li.get_query_embedding(inputs[0])
    out["notes"]["llamaindex_query"] = {"requests": _take()}

    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - report any client failure clearly
        traceback.print_exc(file=sys.stderr)
        print(f"openai_clients.py: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
