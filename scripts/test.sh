#!/usr/bin/env bash
# The test command: prepares everything the tests need (idempotent), builds, runs vitest.
# Writes vitest's JSON report to .cache/vitest-report.json for .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/prepare-test-assets.sh
npm run --silent build
npm run --silent depcheck
mkdir -p .cache
exec npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-report.json "$@"
