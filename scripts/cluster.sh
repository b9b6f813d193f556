#!/usr/bin/env bash
# A local three-node Herald cluster (DESIGN §6) on one machine: starts etcd
# on 127.0.0.1:23790 and nodes n1, n2, n3 (HTTP 8470-8472, node ports
# 8481-8483), data in ./herald-cluster (git-ignored). Prints the ports and
# each node's admin token file; Ctrl-C stops every process (by its PID).
# Run it again on the same data. Builds heraldd first (install the packages
# once with scripts/install-deps.sh, or use scripts/run.sh first).
#   HERALD_CLUSTER_DIR=DIR   data elsewhere
#   HERALD_CLUSTER_NODES=N   1-9 nodes instead of 3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="${HERALD_CLUSTER_DIR:-$root/herald-cluster}"
count="${HERALD_CLUSTER_NODES:-3}"
heraldd="${HERALD_BUILD_DIR:-$root/build}/tools/heraldd/heraldd"
etcd_bin=$(command -v etcd || true)
[ -n "$etcd_bin" ] || { echo "cluster.sh: etcd not found (scripts/install-deps.sh installs etcd-server)" >&2; exit 1; }
"$root/scripts/build.sh" heraldd >/dev/null

mkdir -p "$dir"
pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping: ${pids[*]}"
  # Nodes first (each stores server.shutdown and leaves), etcd last.
  local nodes=("${pids[@]:1}")
  if [ "${#nodes[@]}" -gt 0 ]; then
    kill -TERM "${nodes[@]}" 2>/dev/null || true
    wait "${nodes[@]}" 2>/dev/null || true
  fi
  if [ "${#pids[@]}" -gt 0 ]; then
    kill -TERM "${pids[0]}" 2>/dev/null || true
    wait "${pids[0]}" 2>/dev/null || true
  fi
}
trap stop_all INT TERM EXIT

etcd_url=http://127.0.0.1:23790
"$etcd_bin" --name herald-etcd --data-dir "$dir/etcd" \
  --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls http://127.0.0.1:23800 \
  --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster herald-etcd=http://127.0.0.1:23800 \
  --auto-compaction-mode revision --auto-compaction-retention 10000 \
  --pre-vote=true >"$dir/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -fs "$etcd_url/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$etcd_url/health" >/dev/null || { echo "cluster.sh: etcd did not start; see $dir/etcd.log" >&2; exit 1; }
echo "etcd      $etcd_url   (log $dir/etcd.log)"

for i in $(seq 1 "$count"); do
  http=$((8469 + i))
  node=$((8480 + i))
  "$heraldd" --node-id "n$i" --cluster local --etcd "$etcd_url" \
    --data-dir "$dir/n$i" --http "127.0.0.1:$http" --node-port "$node" \
    >"$dir/n$i.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$http/readyz" >/dev/null 2>&1 && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "cluster.sh: n$i exited; see $dir/n$i.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "n$i        http://127.0.0.1:$http   node port $node   (log $dir/n$i.log)"
done
echo
echo "admin token (valid on every node): $dir/n1/admin.token"
echo "try:  curl -s -H \"Authorization: Bearer \$(cat $dir/n1/admin.token)\" localhost:8470/api/v1/nodes"
echo "Ctrl-C stops the cluster."
wait -n "${pids[@]}" || true
echo "cluster.sh: a process exited; stopping the others" >&2
