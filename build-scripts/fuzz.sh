#!/usr/bin/env bash
# `npm run fuzz -- [SECONDS] [--c-only]`: builds the libFuzzer harnesses
# tests/c/fuzz_*.c with Debian's clang 14, ASan and UBSan (build/fuzz), writes
# real checkpoints of tiny models as seeds (build/fuzz/seeds), then fuzzes for
# SECONDS in all (default 600), split evenly between the C harnesses and the
# Node fuzzers tests/fuzz/*-fuzz.mjs (the IDX reader, the worker's messages).
# `npm test` runs it for 40 with --c-only (its Node suite runs the Node
# fuzzers briefly: tests/node/fuzz.test.mjs).
# The corpus grows in build/fuzz/corpus/NAME across runs; an input that fails
# is saved as test-output/fuzz/NAME-crash-* (replay: build/fuzz/NAME FILE).
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600; c_only=0
for arg in "$@"; do
  case "$arg" in --c-only) c_only=1 ;; *) seconds=$arg ;; esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 2 ] || { echo "usage: fuzz.sh [SECONDS >= 2]" >&2; exit 2; }
bash build-scripts/ensure-tools.sh --fuzz >&2

cc=clang-14
command -v "$cc" >/dev/null || cc=clang
echo "== fuzz build (build/fuzz, $cc -fsanitize=fuzzer,address,undefined)"
CC=$cc cmake -S . -B build/fuzz -DGAN_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/fuzz -j 2 >build/fuzz/build.log 2>&1 || { tail -30 build/fuzz/build.log; exit 1; }

rm -rf build/fuzz/seeds && mkdir -p build/fuzz/seeds test-output/fuzz
build/fuzz/write_fuzz_seeds build/fuzz/seeds

# A small quarantine for freed blocks: use-after-free is still caught for a
# while, and every checkpoint save no longer page-faults in fresh memory
# (twice the executions per second, a sixth of the memory).
export ASAN_OPTIONS=quarantine_size_mb=16${ASAN_OPTIONS:+:$ASAN_OPTIONS}
harnesses=()
for source in tests/c/fuzz_*.c; do harnesses+=("$(basename "$source" .c)"); done
node_fuzzers=()
[ "$c_only" = 1 ] || for source in tests/fuzz/*-fuzz.mjs; do node_fuzzers+=("$source"); done
each=$((seconds / (${#harnesses[@]} + ${#node_fuzzers[@]})))
failed=0
for name in "${harnesses[@]}"; do
  mkdir -p "build/fuzz/corpus/$name"
  log="test-output/fuzz/$name.log"
  # 2 GB of address space is plenty under ASan for these tiny models; a
  # checkpoint too slow to load (10 s) counts as a failure.
  if "build/fuzz/$name" "build/fuzz/corpus/$name" build/fuzz/seeds \
      -max_total_time="$each" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="test-output/fuzz/$name-" -print_final_stats=1 >"$log" 2>&1; then
    echo "$name: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second\(s\)' "$log" | tail -1), $(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)"
  else
    failed=1
    echo "$name: FAILED (full log: $log)"
    tail -40 "$log"
  fi
done
for source in "${node_fuzzers[@]}"; do
  name=$(basename "$source" .mjs)
  log="test-output/fuzz/$name.log"
  # a fresh seed each run, printed in the log's last line for replaying
  if node "$source" "$each" >"$log" 2>&1; then
    tail -1 "$log"
  else
    failed=1
    echo "$name: FAILED (full log: $log)"
    tail -20 "$log"
  fi
done
exit "$failed"
