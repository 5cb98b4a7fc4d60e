#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh clone. It installs and compiles what
# is missing, checks formatting, lint and the tests' types, runs the unit and
# embedded tests, then provisions the local stack (Kafka, InfluxDB, Mosquitto:
# scripts/stack.sh) and runs the integration tests against it, and stops the
# stack again.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/ensure-built.mjs
mkdir -p .cache/test-results
rm -f .cache/test-results/*.json
status=0
as_root() { if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive "$@"; else sudo DEBIAN_FRONTEND=noninteractive "$@"; fi; }

# Checks before the tests: formatting and lint (Biome, no writes; warnings
# fail too), then the type-check of the tests against the code (the build above
# checked the code alone). A finding fails the run; the tests still run.
checks_passed=0
checks_failed=0
echo "== format and lint (biome ci) =="
if npx biome ci --error-on-warnings; then checks_passed=$((checks_passed + 1)); else status=1; checks_failed=$((checks_failed + 1)); echo "[checks] format or lint findings: npm run format fixes the formatting, the rest is named above"; fi
echo "== type-check of the code and the tests (tsc -p tsconfig.test.json) =="
if npx tsc -p tsconfig.test.json; then checks_passed=$((checks_passed + 1)); else status=1; checks_failed=$((checks_failed + 1)); fi
export CHECKS_PASSED=$checks_passed CHECKS_FAILED=$checks_failed

echo "== unit and embedded tests (vitest) =="
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/test-results/unit.json || status=$?

if [ "${SEALWATCH_SKIP_STACK_TESTS:-0}" != "1" ]; then
  echo "== stack integration tests: provisioning Kafka, InfluxDB and Mosquitto =="
  if ! command -v docker-compose >/dev/null 2>&1; then
    echo "[setup] installing Debian's docker-compose (validates docker-compose.yml; no engine needed)"
    as_root apt-get install -y -qq docker-compose >/dev/null 2>&1 || { as_root apt-get update -qq && as_root apt-get install -y -qq docker-compose >/dev/null; } || echo "[setup] docker-compose could not be installed"
  fi
  # fresh data directories for every run (the builds stay cached)
  SEALWATCH_STACK_FRESH=1 npx vitest run --config vitest.stack.config.ts --reporter=default --reporter=json --outputFile.json=.cache/test-results/stack.json || status=$?
fi

if [ "${SEALWATCH_SKIP_E2E_TESTS:-0}" != "1" ]; then
  echo "== browser end-to-end test (Debian Chromium, playwright-core) =="
  if [ ! -x /usr/bin/chromium ]; then
    echo "[setup] installing Debian's chromium (never a downloaded browser)"
    as_root apt-get install -y -qq chromium >/dev/null 2>&1 || { as_root apt-get update -qq && as_root apt-get install -y -qq chromium >/dev/null; } || echo "[setup] chromium could not be installed"
  fi
  npx vitest run --config vitest.e2e.config.ts --reporter=default --reporter=json --outputFile.json=.cache/test-results/e2e.json || status=$?
fi

# One plain closing line over every suite that ran; the two checks count as one test each.
node -e '
  const fs = require("fs");
  let passed = Number(process.env.CHECKS_PASSED), failed = Number(process.env.CHECKS_FAILED), skipped = 0;
  for (const f of ["unit", "stack", "e2e"]) {
    const p = `.cache/test-results/${f}.json`;
    if (!fs.existsSync(p)) continue;
    const r = JSON.parse(fs.readFileSync(p, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests || 0);
  }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
exit $status
