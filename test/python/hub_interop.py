"""Hugging Face cache interop checks, driven by test/integration/hub-interop.test.ts.

    python hub_interop.py inspect <repo_id> [allow_pattern ...]
        HF_HOME set. Prints as JSON what huggingface_hub sees of the repo in the cache:
        scan_cache_dir() (repo, refs, revisions, files, sizes, warnings) and the snapshot
        snapshot_download(local_files_only=True) returns, with the sha256 of every file read through it
        (or the error when there is none).

    python hub_interop.py download <repo_id> [allow_pattern ...]
        HF_HOME and HF_ENDPOINT set. snapshot_download() from that hub; prints the snapshot path.

Prints exactly one JSON line on stdout; errors go to stderr with a non-zero exit.
"""

import hashlib
import json
import os
import sys

from huggingface_hub import constants, scan_cache_dir, snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def inspect(repo_id: str, patterns: list) -> dict:
    info = scan_cache_dir()
    repos = []
    for repo in info.repos:
        if repo.repo_id != repo_id:
            continue
        revisions = []
        for rev in repo.revisions:
            files = sorted(
                (
                    {
                        "path": os.path.relpath(f.file_path, rev.snapshot_path).replace(os.sep, "/"),
                        "size_on_disk": f.size_on_disk,
                        "blob": os.path.basename(f.blob_path),
                    }
                    for f in rev.files
                ),
                key=lambda f: f["path"],
            )
            revisions.append(
                {
                    "commit_hash": rev.commit_hash,
                    "refs": sorted(rev.refs),
                    "size_on_disk": rev.size_on_disk,
                    "nb_files": rev.nb_files,
                    "files": files,
                }
            )
        repos.append(
            {
                "repo_id": repo.repo_id,
                "repo_type": repo.repo_type,
                "size_on_disk": repo.size_on_disk,
                "nb_files": repo.nb_files,
                "refs": sorted(repo.refs),
                "revisions": revisions,
            }
        )
    # Once huggingface_hub has listed the commit online it keeps the tree (trees/<commit>.json) and
    # calls a snapshot without every listed file incomplete unless the same allow_patterns are given.
    try:
        path = snapshot_download(repo_id, local_files_only=True, allow_patterns=patterns or None)
    except LocalEntryNotFoundError as e:
        snapshot = {"error": f"{type(e).__name__}: {e}"}
    else:
        files = {}
        for folder, _, names in os.walk(path):
            for name in names:
                full = os.path.join(folder, name)
                files[os.path.relpath(full, path).replace(os.sep, "/")] = sha256(full)
        snapshot = {"path": os.path.realpath(path), "files": files}
    return {
        "cache_dir": str(constants.HF_HUB_CACHE),
        "warnings": [str(w) for w in info.warnings],
        "repos": repos,
        "snapshot": snapshot,
    }


def download(repo_id: str, patterns: list) -> dict:
    path = snapshot_download(repo_id, allow_patterns=patterns or None)
    return {"path": os.path.realpath(path), "endpoint": constants.ENDPOINT}


def main() -> None:
    command, repo_id, *rest = sys.argv[1:]
    result = inspect(repo_id, rest) if command == "inspect" else download(repo_id, rest) if command == "download" else None
    if result is None:
        sys.exit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
