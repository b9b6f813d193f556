#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (into ./build-fuzz) and runs each for
# the given number of seconds (default 60) on its corpus.
# Usage: scripts/fuzz.sh [seconds] [target...]   e.g. scripts/fuzz.sh 600 codec
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
seconds="${1:-60}"
shift || true
"$root/scripts/install-deps.sh"
if ! command -v clang++ >/dev/null || ! dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1; then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$root"/fuzz/*_fuzz.cpp; do
    n=$(basename "$f" _fuzz.cpp); targets+=("$n")
  done
fi
for t in "${targets[@]}"; do
  cmake --build "$build" -j "${HERALD_JOBS:-2}" --target "${t}_fuzz"
done
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  mkdir -p "$work"
  cp -n "$root/fuzz/corpus/$t/"* "$work/" 2>/dev/null || true
  echo "== fuzzing $t for ${seconds}s"
  "$build/fuzz/${t}_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$build/" "$work"
done
