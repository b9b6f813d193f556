#!/usr/bin/env bash
# One command from a fresh clone to a green test suite: installs the Debian
# packages, builds everything, runs every test (unit, actor, process-level,
# fuzz-corpus replays). Extra arguments go to ctest (e.g. -L runtime).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${HERALD_BUILD_DIR:-$root/build}"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
# The official CloudEvents SDK that tests/process/cloudevents_sdk_test.cpp
# validates Herald's output with (pinned by package-lock.json).
(cd "$root/tests/cloudevents-sdk" && npm ci --no-audit --no-fund --loglevel=error)
# puppeteer-core, which drives Debian's chromium through the console's
# browser test (tests/process/console_browser_test.cpp), pinned likewise.
(cd "$root/tests/console" && npm ci --no-audit --no-fund --loglevel=error)
cd "$build"
ctest --output-on-failure --timeout 300 -j "${HERALD_TEST_JOBS:-2}" "$@"
