#!/usr/bin/env bash
# Installs what the build and tests need and a fresh Debian machine lacks:
# the C toolchain, Emscripten, the three browser engines of the browser tests
# (Chromium, Firefox ESR, WebKitGTK's WebDriver with Xvfb for its display),
# OpenBLAS (bench ceiling), Fashion-MNIST (a second real data set for the
# loader tests), and the pinned npm packages. Safe to run again: it installs
# only what is missing.
#   ensure-tools.sh            build tools + npm packages
#   ensure-tools.sh --test     also the browsers, Fashion-MNIST and the fuzz tools
#   ensure-tools.sh --fuzz     also clang 14 and its libFuzzer/sanitizer runtimes
#   ensure-tools.sh --bench    also OpenBLAS, and the browsers for the page's rows
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0; want_bench=0; want_fuzz=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1; want_fuzz=1 ;;
    --fuzz) want_fuzz=1 ;;
    --bench) want_bench=1 ;;
    *) echo "ensure-tools.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v cc >/dev/null || missing+=(gcc)
command -v make >/dev/null || missing+=(make)
command -v emcc >/dev/null || missing+=(emscripten)
if [ "$want_test" = 1 ] || [ "$want_bench" = 1 ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver)
  command -v xvfb-run >/dev/null || missing+=(xvfb)
  command -v xauth >/dev/null || missing+=(xauth) # xvfb-run needs it; only a Recommends of xvfb
fi
if [ "$want_test" = 1 ]; then
  [ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
fi
if [ "$want_fuzz" = 1 ]; then
  command -v clang-14 >/dev/null || missing+=(clang-14)
  ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 \
    || missing+=(libclang-rt-14-dev)
fi
if [ "$want_bench" = 1 ]; then
  [ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || ls /usr/include/*/cblas.h >/dev/null 2>&1 \
    || missing+=(libopenblas-dev)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing from Debian: ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages, exactly as locked. Re-run when the lock file is newer than the install.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
