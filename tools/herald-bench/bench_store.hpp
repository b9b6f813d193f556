#pragma once

// The large store the `query` and `restart` scenarios share: DATA_DIR/store
// (heraldd's layout when started with --data-dir DATA_DIR), built once
// through event_store::append and reused.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace herald::bench {

/// Builds (or finishes building) `events` benchmark events in
/// DATA_DIR/store: unsynced batches of 8192, resumable (progress in meta
/// "bench_built"), skipped when complete. Progress lines go to stdout
/// prefixed "<tag>: ". Returns the build's JSON ("already_built",
/// "reused", build time and rate), or {"error": …}. The store is closed
/// again on return (RocksDB allows one process: heraldd opens it next).
nlohmann::json ensure_bench_store(const std::string& data_dir, uint64_t events,
                                  const std::string& tag);

} // namespace herald::bench
