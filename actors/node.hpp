#pragma once

// One node's actors (DESIGN §6): registry, writer (+ committer) and the
// reader pool over one event_store, spawned and stopped together; the
// definition actor (spawned with its views by the daemon) joins them.
//
//   publish ──▶ writer ──append──▶ store        (committer thread)
//                  └──route──▶ registry ──deliver──▶ stream actors
//   query/fetch ──▶ readers (pool, own threads) ──▶ store
//   every interval: retention sweeper (own thread) ──expire──▶ store

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/protocol/interfaces.hpp"
#include "actors/reader_actor.hpp"
#include "actors/registry_actor.hpp"
#include "actors/retention_actor.hpp"
#include "actors/writer_actor.hpp"

namespace herald::actors {

class stream_stats;

struct node_options {
  std::string node_id;
  size_t reader_count = 2;
  /// Run all blocking I/O on the cooperative scheduler (deterministic tests
  /// only; see writer_options::inline_io).
  bool inline_io = false;
  /// Writer limits (max_batch, max_queued); its inline_io is taken from
  /// the field above.
  writer_options writer;
  /// Retention (storage/retention.hpp): a sweeper runs only when the
  /// policy can delete something.
  storage::retention_policy retention;
  /// The sweeper's interval, chunk sizes, clock and metrics; its policy and
  /// inline_io come from the two fields above.
  retention_options retention_tuning;
  /// The node's end of the peer links (registry_options::link); invalid =
  /// no peers.
  cluster::peer_link peer_link;
  /// Per-peer ack window and queue bounds (registry_options::window).
  peer_window_options peer_window;
};

/// Handles to a node's actors. Copyable; holding them keeps nothing alive
/// after stop_node.
struct node_handles {
  std::string node_id; ///< node_options::node_id
  writer_actor writer;
  registry_actor registry;
  caf::actor readers; ///< pool speaking reader_actor's messages
  std::shared_ptr<writer_metrics> metrics; ///< the writer's counters
  /// The retention sweeper; null when the policy keeps everything.
  retention_actor retention;
  /// The sweeper's counters (always set; all zero without a sweeper).
  std::shared_ptr<retention_metrics> retention_counters;
  /// The node's streams, for /metrics (stream_actor.hpp); may be null.
  std::shared_ptr<stream_stats> streams;
  /// The definition actor (definition_actor.hpp), once the daemon has
  /// spawned it with its views; stop_node stops it too.
  protocol::definitions_actor definitions;
};

/// Spawns registry, writer and readers over `store`.
node_handles spawn_node(caf::actor_system& sys,
                        std::shared_ptr<storage::event_store> store,
                        const node_options& opts);

/// Sends exit messages (user_shutdown) to writer, registry, readers and
/// the retention sweeper so
/// the actor system's destructor does not wait for them. Drain first with
/// `(flush_atom)` to the writer if pending publishes should complete. Stream
/// actors are stopped by whoever spawned them.
void stop_node(caf::actor_system& sys, const node_handles& node);

/// Publishes `events` and waits for the durable reply (tests, benchmarks,
/// tools). Blocks the calling thread: never call it from an actor or with
/// the deterministic test scheduler. Errors: the writer's, or
/// caf::sec::request_timeout after `timeout`.
caf::expected<std::vector<protocol::publish_result>>
publish_sync(caf::actor_system& sys, const node_handles& node,
             std::vector<v1::Event> events, std::chrono::milliseconds timeout);

/// Waits until everything published so far is durable; returns the store's
/// last seq. Same blocking caveats as publish_sync.
caf::expected<uint64_t> flush_sync(caf::actor_system& sys,
                                   const node_handles& node,
                                   std::chrono::milliseconds timeout);

} // namespace herald::actors
