"""Main text of HTML pages by trafilatura: the baseline of the crawl quality test.

stdin: JSON [{"url": ..., "html": ...}, ...]; stdout: JSON [text, ...] (same order).
Default settings (precision/recall balanced), no comments, no tables off: what a user gets out of the box.
"""
import json
import sys

import trafilatura

pages = json.load(sys.stdin)
out = [trafilatura.extract(p["html"], url=p["url"], include_comments=False) or "" for p in pages]
json.dump({"version": trafilatura.__version__, "texts": out}, sys.stdout)
