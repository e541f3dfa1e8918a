#!/usr/bin/env bash
# Builds, then runs every test: C unit tests (CTest), 40 seconds of the
# libFuzzer harnesses (build-scripts/fuzz.sh, counted as one test), the Node
# tests (node --test tests/node) and the browser tests (tests/browser: Debian's
# Chromium through playwright-core; engines.test.mjs and determinism.test.mjs
# also in Firefox ESR and WebKitGTK, see tests/browser/engines.mjs). Ends with
# one line: how many passed and failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash build-scripts/build.sh --test || { echo "wasm-gan tests: build failed, 0 passed, 1 failed"; exit 1; }

mkdir -p test-output
passed=0; failed=0

echo "== C tests (CTest)"
(cd build/native && ctest --output-on-failure -j 2) | tee test-output/ctest.log
c_total=$(grep -Eo 'tests failed out of [0-9]+' test-output/ctest.log | grep -Eo '[0-9]+$' || echo 0)
c_failed=$(grep -Eo '[0-9]+ tests failed' test-output/ctest.log | grep -Eo '^[0-9]+' || echo 0)
[ -n "$c_total" ] || c_total=0
passed=$((passed + c_total - c_failed)); failed=$((failed + c_failed))

echo "== fuzz (build-scripts/fuzz.sh 40: checkpoint files through ASan + UBSan)"
if bash build-scripts/fuzz.sh 40 --c-only 2>&1 | tee test-output/fuzz.log; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

run_node_suite() { # name dir
  local name=$1 dir=$2
  [ -d "$dir" ] && ls "$dir"/*.test.mjs >/dev/null 2>&1 || return 0
  echo "== $name (node --test $dir)"
  node --test --test-reporter=spec --test-concurrency=1 "$dir"/*.test.mjs 2>&1 | tee "test-output/$name.log"
  local p f
  p=$(grep -E '^ℹ pass [0-9]+' "test-output/$name.log" | tail -1 | grep -Eo '[0-9]+$' || echo 0)
  f=$(grep -E '^ℹ fail [0-9]+' "test-output/$name.log" | tail -1 | grep -Eo '[0-9]+$' || echo 1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
}
run_node_suite node tests/node
run_node_suite browser tests/browser

echo "wasm-gan tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
