#pragma once

// Cluster-wide definitions in etcd (DESIGN §6, issue 12): users, tokens,
// config, sources, workflows, triggers, topics, subscriptions and their
// dead letters live under /herald/<cluster>/defs/<key>; every node applies
// them in revision order into its own store (the definition actor does,
// through its writer).
//
// A record is JSON {"value"?: string, "by": node, "events": [base64 of
// herald.v1.Event, …]}: no "value" is a tombstone (a delete keeps its key,
// so its events and its revision travel like a put's). The record's
// mod_revision is the definition's version on every node, so If-Match
// means the same everywhere. The events announcing a change are carried in
// the record and stored only by the node that accepted it (`by`), in the
// same write as the change: a node that crashed between the etcd commit
// and its own write stores them when it applies the record on restart
// (their ids make a second store a no-op).
//
//   propose(key, value, expect, events)
//     read the record ─▶ check expect (live version or 0 = absent/tombstone)
//     ─▶ txn If(mod_revision(record) == read) Then(put new record)
//     ─▶ the revision that decided it      (moved meanwhile: conflict)
//
// Blocking, every call with a deadline (etcd_client). One object per
// thread: the definition actor proposes on its own thread, the watch runs
// on a thread this class owns.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "actors/cluster/replicated_definition.hpp"
#include "herald/v1/event.pb.h"

namespace herald::cluster {

/// Serialises and parses records (exposed for tests and the fuzz target).
std::string encode_definition_record(const replicated_definition& d);
caf::expected<replicated_definition>
decode_definition_record(std::string key, const std::string& bytes,
                         uint64_t revision);

/// What propose() decided.
struct proposal {
  uint64_t revision = 0; ///< of the new record: wait until it is applied
  /// The definition's version to answer: `revision` after a put, the
  /// deleted version after a delete.
  uint64_t version = 0;
  replicated_definition record;
};

/// A value the whole cluster shares (the JWT signing key, the node-port
/// secret) under /herald/<cluster>/<name>: the first node's `candidate`
/// becomes it (created once, in a transaction); every node answers it.
caf::expected<std::string>
shared_cluster_value(const etcd_definitions_options& o, const std::string& name,
                     const std::string& candidate);

class etcd_definitions {
public:
  explicit etcd_definitions(etcd_definitions_options opts);
  ~etcd_definitions(); ///< stops the watch
  etcd_definitions(const etcd_definitions&) = delete;
  etcd_definitions& operator=(const etcd_definitions&) = delete;

  /// Commits a change of `key` (nullopt value: delete) with `events`.
  /// `expect`: the version the caller saw (0: must not exist), nullopt:
  /// unconditional. Errors (nothing committed): runtime::errc::conflict
  /// (field "If-Match"), runtime::errc::not_found (field "key", deleting
  /// what does not exist), cluster::errc::unavailable (etcd did not answer
  /// in time: the outcome is unknown, the watch will tell).
  caf::expected<proposal> propose(const std::string& key,
                                  const std::optional<std::string>& value,
                                  std::optional<uint64_t> expect,
                                  std::vector<v1::Event> events);

  /// Every record (tombstones included) in key order, and the revision of
  /// the read (a watch continues after it).
  caf::expected<std::pair<std::vector<replicated_definition>, int64_t>>
  snapshot();

  /// The first node of a cluster brings its definitions: when no node
  /// seeded the cluster yet, claims it (a marker key, created once) and
  /// writes `records` (`by` and events are ignored: nothing is announced).
  /// Answers whether this node seeded.
  caf::expected<bool> seed(const std::vector<replicated_definition>& records);

  /// Follows the records from `from_revision` (inclusive) on a thread of
  /// this object: `on_changes` gets them in revision order (puts and
  /// tombstones; keys removed from etcd by hand are ignored). A broken
  /// watch resumes after the last revision seen; a compacted history is
  /// read again as a snapshot, handed over as changes (applying a record
  /// twice is harmless). Call once.
  void
  watch(int64_t from_revision,
        std::function<void(std::vector<replicated_definition>)> on_changes);

  /// Stops the watch (joins its thread). Idempotent.
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace herald::cluster
