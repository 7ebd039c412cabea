#!/usr/bin/env bash
# Render a fresh `epsx run --quick` report in Debian's Chromium (installed if absent) and fail
# on console errors or images that do not decode. Run by .ci/run after the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the report check"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node dist/cli/main.js run --quick --out "$out" --name browser-check >/dev/null
node --import tsx spec/browser/check-report.ts "$out/browser-check/report.html" "${REPORT_SCREENSHOT:-$out/report.png}"
