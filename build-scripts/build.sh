#!/usr/bin/env bash
# Builds everything: the native library, tests and bench (build/native), the
# SIMD and scalar wasm modules (web/wasm), their test builds with the kernels
# exported too (build/wasm-test), and the page's MNIST files (web/data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash build-scripts/ensure-tools.sh "$@"

jobs=$(nproc 2>/dev/null || echo 2)

echo "== native build (build/native)"
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j "$jobs"

echo "== wasm build (web/wasm, build/wasm-test)"
# Debian's Emscripten needs acorn from Debian's node modules (TOOLCHAIN.md).
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/wasm -j "$jobs"

if [ -f build-scripts/prepare-data.mjs ]; then
  echo "== data (web/data)"
  node build-scripts/prepare-data.mjs
fi
