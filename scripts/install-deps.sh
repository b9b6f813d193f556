#!/usr/bin/env bash
# Installs every Debian package Herald needs to build, test and run.
# Idempotent and non-interactive; runs as root or through sudo.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake make ninja-build pkg-config ccache git
  # libraries
  # libcaf-openssl0.17: CAF's OpenSSL module, TLS on the node port (libcaf-dev
  # depends on it; listed so the need is written down)
  libcaf-dev libcaf-openssl0.17 librocksdb-dev libprotobuf-dev protobuf-compiler libboost-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  # auth: JWT (HS256) and argon2id password hashes
  libjwt-dev libsodium-dev
  # workflows and triggers (issue 10): IANA time zones (CCTZ + the zone
  # database) and outbound HTTP for `http` steps and webhooks (libcurl)
  libcctz-dev tzdata libcurl4-openssl-dev
  # heraldd's allocator (issue 13: faster than glibc's on the publish path)
  libjemalloc-dev
  # the web console's browser test: headless Chromium (driven through
  # puppeteer-core, tests/console)
  chromium
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # delivery tests check webhook signatures with OpenSSL's HMAC; TLS on the
  # node port checks its files with OpenSSL; the openssl CLI makes
  # certificates (docs/SECURITY.md)
  libssl-dev openssl
  # the README tour and process-level helpers
  curl ca-certificates procps
  # promtool (/usr/bin/promtool) for the /metrics test; the package is the
  # whole Prometheus server (~19 MB download, ~96 MB installed)
  prometheus
  # etcd 3.4 for the cluster's coordinator and its tests (a test starts its
  # own on loopback ports; the packaged service is not used)
  etcd-server
  # `ip` (network namespaces and veth pairs) for the cluster partition test,
  # which needs root and is skipped without them
  iproute2
)

# Node.js + npm run the official CloudEvents SDK check (tests/cloudevents-sdk,
# cloudevents@9 needs Node >= 18: bookworm has 18). Skipped when both are on
# PATH already (e.g. from NodeSource, whose nodejs conflicts with Debian's npm).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
