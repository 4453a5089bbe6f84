#!/usr/bin/env bash
# The test command: prepares everything the tests need (idempotent), builds, runs vitest.
# Writes vitest's JSON report to .cache/vitest-report.json for .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
# test/integration/prometheus.test.ts scrapes Hearth with a real Prometheus: Debian's package (~20 MB, no recommends).
if ! command -v prometheus >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "prometheus is not installed and this is not root: its scrape test will be skipped (fails under CI=1)" >&2
  fi
fi
# test/python/ocr_reference.py renders the OCR test images with DejaVu and, for the Chinese line, WenQuanYi Micro Hei
# (Debian, ~5 MB); its RapidOCR reference imports opencv-python, which needs libGL and GLib at import time.
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || ! ldconfig -p | grep -q 'libGL.so.1 '; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core fonts-wqy-microhei libgl1 libglib2.0-0 >/dev/null
  else
    echo "fonts-dejavu-core / fonts-wqy-microhei / libgl1 are missing and this is not root: the OCR fixtures cannot be built" >&2
  fi
fi
# The crawl tests (test/integration/crawl*.test.ts) drive Debian's Chromium (~100 MB with its libraries).
if [ ! -x /usr/lib/chromium/chromium ] && ! command -v chromium >/dev/null && [ -z "${HEARTH_CHROMIUM_PATH:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  else
    echo "chromium is not installed and this is not root: install Debian's chromium (or set HEARTH_CHROMIUM_PATH) for the crawl tests" >&2
  fi
fi
bash scripts/prepare-test-assets.sh
npm run --silent build
npm run --silent depcheck
mkdir -p .cache
# A full run (no file filter) also checks that every documented status was produced by some test.
[ $# -eq 0 ] && export HEARTH_STATUS_GATE=1
exec npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-report.json "$@"
