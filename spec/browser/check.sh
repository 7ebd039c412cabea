#!/usr/bin/env bash
# Browser checks, run by .ci/run after the test suite, in Debian's Chromium (installed if absent):
# 1. render a fresh `epsx run --quick` report and fail on console errors or images that do not decode;
# 2. the playground (`epsx playground`): train 40 eps++ steps on the page's WebAssembly fallback and
#    check loss, panels, kernels and errors; then check the kernels on WebGL (software SwiftShader
#    here: too slow to train on in CI, so the check stops once the panels are first drawn);
# 3. the package's browser entry, bundled into a small app by esbuild, computing in the page.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser checks"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node dist/cli/main.js run --quick --out "$out" --name browser-check >/dev/null
node --import tsx spec/browser/check-report.ts "$out/browser-check/report.html" "${REPORT_SCREENSHOT:-$out/report.png}"
node --import tsx spec/browser/playground.ts --backend webasm --steps 40 --screenshot "${PLAYGROUND_SCREENSHOT:-$out/playground.png}"
node --import tsx spec/browser/playground.ts --backend webgl --agree-only
node --import tsx spec/browser/playground-entry.ts
