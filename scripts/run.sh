#!/usr/bin/env bash
# One command from a fresh clone to a running node: installs the Debian
# packages, builds, and starts heraldd in the foreground on 127.0.0.1:8470
# with its data in ./herald-data (git-ignored). Ctrl-C stops it cleanly; run
# it again on the same data. Extra arguments go to heraldd.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" heraldd
cd "$root"
exec "${HERALD_BUILD_DIR:-$root/build}/tools/heraldd/heraldd" \
  --data-dir "$root/herald-data" --http 127.0.0.1:8470 "$@"
