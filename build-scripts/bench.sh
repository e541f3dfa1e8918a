#!/usr/bin/env bash
# `npm run bench`: makes sure the tools (with OpenBLAS, the native GEMM ceiling)
# and the builds are there, then runs the side-by-side benchmark.
# Options go to bench/bench.mjs: --seconds S --windows W --threads N
# --models paper,small --only NAMES --long [STEPS] --json (see docs/bench.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash build-scripts/ensure-tools.sh --bench >&2
bash build-scripts/build.sh >&2
exec node bench/bench.mjs "$@"
