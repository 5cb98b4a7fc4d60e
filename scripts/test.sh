#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh clone. It installs and compiles what
# is missing, runs the unit and embedded tests, then provisions the local
# stack (Kafka, InfluxDB, Mosquitto: scripts/stack.sh) and runs the
# integration tests against it, and stops the stack again.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/ensure-built.mjs
mkdir -p .cache/test-results
status=0

echo "== unit and embedded tests (vitest) =="
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/test-results/unit.json || status=$?

if [ "${SEALWATCH_SKIP_STACK_TESTS:-0}" != "1" ]; then
  echo "== stack integration tests: provisioning Kafka, InfluxDB and Mosquitto =="
  if ! command -v docker-compose >/dev/null 2>&1; then
    echo "[setup] installing Debian's docker-compose (validates docker-compose.yml; no engine needed)"
    if [ "$(id -u)" = 0 ]; then
      (apt-get install -y -qq docker-compose >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null; }) || echo "[setup] docker-compose could not be installed"
    else
      sudo apt-get install -y -qq docker-compose >/dev/null || echo "[setup] docker-compose could not be installed"
    fi
  fi
  # fresh data directories for every run (the builds stay cached)
  SEALWATCH_STACK_FRESH=1 npx vitest run --config vitest.stack.config.ts --reporter=default --reporter=json --outputFile.json=.cache/test-results/stack.json || status=$?
fi

# One plain closing line over every suite that ran.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of ["unit", "stack"]) {
    const p = `.cache/test-results/${f}.json`;
    if (!fs.existsSync(p)) continue;
    const r = JSON.parse(fs.readFileSync(p, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests || 0);
  }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
exit $status
