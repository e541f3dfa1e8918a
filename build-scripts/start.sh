#!/usr/bin/env bash
# `npm start`: builds everything (the wasm modules and web/data) and serves
# web/ on 127.0.0.1, printing the URL. Options go to the server:
#   npm start -- --port 9000        npm start -- --no-isolation
#   SKIP_BUILD=1 npm start          serve what is already built
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  bash build-scripts/build.sh
fi
exec node build-scripts/serve.mjs "$@"
