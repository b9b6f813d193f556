#pragma once

// One heraldd process from start to exit: opens the store, starts the actor
// system and the node's actors, serves HTTP, writes ports.json, emits
// server.ready, and on SIGINT/SIGTERM emits server.shutdown, drains
// (bounded) and returns 0.

#include "tools/heraldd/daemon_config.hpp"

namespace herald::heraldd {

/// Runs a node until SIGINT/SIGTERM. Returns the process exit code (0 after a
/// clean shutdown, 1 when the node could not start).
int run_daemon(const daemon_config& cfg);

} // namespace herald::heraldd
