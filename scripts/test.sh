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
bash scripts/prepare-test-assets.sh
npm run --silent build
npm run --silent depcheck
mkdir -p .cache
# A full run (no file filter) also checks that every documented status was produced by some test.
[ $# -eq 0 ] && export HEARTH_STATUS_GATE=1
exec npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-report.json "$@"
