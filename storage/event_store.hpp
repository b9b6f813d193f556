#pragma once

// The audit trail on RocksDB: events keyed by seq, the indexes DESIGN §3's
// queries need, idempotency by id, and the paged query API with cursors.
//
// Thread-safety: every member may be called from any thread. append() calls
// are serialized internally (one writer -- the writer actor -- is the design;
// a second one waits); get*/query/last_seq run concurrently with each other
// and with append (each query reads one RocksDB snapshot, and a batch becomes
// visible to readers all at once). close() waits for running calls.
// Ownership: the store owns the RocksDB instance; destroying it closes the
// database after flushing nothing extra (the WAL already holds every
// acknowledged write). Layout and query planning: storage/README.md.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "herald/v1/event.pb.h"
#include "runtime/content_filter.hpp"
#include "runtime/identity.hpp"
#include "storage/retention.hpp"

namespace rocksdb {
class FileSystem;
} // namespace rocksdb

namespace herald::storage {

struct store_options {
  std::filesystem::path dir; ///< RocksDB directory, created if missing
  bool sync = true;          ///< fsync the WAL on every append (group commit)
  size_t block_cache_bytes = 64u << 20;
  size_t write_buffer_bytes = 32u << 20;
  /// log2 of the events per zone-map block (default 4096). Only used when
  /// the store is created; an existing store keeps the value it was created
  /// with. Tests use small blocks to exercise block skipping.
  uint32_t zone_block_shift = 12;
  /// The filesystem RocksDB does all its I/O through; null means the
  /// default (POSIX) one. Tests pass a wrapper that models power loss.
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

/// Memory the store's RocksDB holds (event_store::memory_usage()). Index
/// and filter blocks are kept in the block cache, so everything but the
/// memtables is bounded by block_cache_bytes, not by the data size.
struct store_memory {
  /// rocksdb.estimate-table-readers-mem: what open SST files hold outside
  /// the block cache (stays small: index and filter blocks are cached).
  uint64_t table_readers_bytes = 0;
  /// The shared block cache: data, index and filter blocks.
  uint64_t block_cache_bytes = 0;
  /// Part of block_cache_bytes that is pinned (L0 and top-level index and
  /// filter blocks, blocks held by open iterators).
  uint64_t block_cache_pinned_bytes = 0;
  uint64_t block_cache_capacity_bytes = 0;
  /// rocksdb.cur-size-all-mem-tables: active and immutable memtables.
  uint64_t memtable_bytes = 0;
};

/// Result of appending one event.
struct append_result {
  std::string id;
  uint64_t seq = 0;
  bool duplicate = false; ///< id already stored: seq is the stored event's
};

struct definition_write;

/// One request of a group commit (event_store::append_requests): `count`
/// consecutive events of the batch, who publishes them, and optionally a
/// definition change committed with them.
struct append_request {
  size_t count = 0;
  /// The publisher, or null for Herald itself. An id already stored (or
  /// stored earlier in the same commit by another request) that this caller
  /// may not see (runtime::can_see) refuses the request: existence does
  /// not leak.
  const runtime::identity* who = nullptr;
  /// A definition change stored with this request's events, all or nothing
  /// (as commit_definition() stores one); null: none. Not owned: it must
  /// outlive the call.
  const definition_write* change = nullptr;
};

/// A query of DESIGN §3/§7. All present predicates must hold (AND).
struct event_query {
  /// Name pattern (`*`, `>`); a malformed one is invalid_pattern, "name".
  std::optional<std::string> name;
  std::optional<std::string> source; ///< exact
  std::optional<std::string> tenant; ///< exact
  std::optional<std::string> user;   ///< exact
  std::optional<std::string> scope; ///< whole-segment prefix, equality included
  std::optional<int64_t> since_ns;  ///< inclusive, on event time
  std::optional<int64_t> until_ns;  ///< exclusive, on event time
  std::optional<runtime::content_filter> filter;
  std::optional<std::string> after; ///< cursor from a previous page's `next`
  std::optional<uint64_t> from_seq; ///< inclusive seq lower bound (streams)
  bool descending = false;          ///< order by seq desc
  size_t limit = 100;               ///< 1..1000
  /// Max work before the page is returned early with a `next` cursor (so a
  /// narrow filter over a huge store stays bounded): candidate events
  /// examined plus index seeks of an intersection that found no candidate.
  size_t scan_budget = 20000;
};

/// A definition (a config value, a user, a service token, a source's
/// setting): a small document under a key such as "config/db" or
/// "source/iam", versioned from 1 on its first write. Kept in the store so a
/// definition change and the event announcing it are one atomic write.
struct definition {
  std::string key;
  std::string value;
  uint64_t version = 0;
};

/// One change of a definition (see event_store::commit_definition).
struct definition_write {
  std::string key;
  std::optional<std::string> value; ///< nullopt deletes the definition
  /// Optimistic concurrency: the version the caller last saw (0 = "must not
  /// exist yet"); nullopt writes unconditionally.
  std::optional<uint64_t> expect_version;
  /// A replicated change (cluster, DESIGN §6): store exactly this version
  /// (the etcd revision that decided it). Idempotent and ordered: applied
  /// only when the stored version is older (an older or equal one is
  /// skipped, its events still appended); a delete of an absent key is a
  /// no-op. `expect_version` is ignored.
  std::optional<uint64_t> replica_version;
};

struct definition_result {
  /// The definition's version after a put; the deleted version for a delete.
  uint64_t version = 0;
  /// One per event committed with the change, in input order.
  std::vector<append_result> events;
};

/// Whether `w` may share a group commit (append_requests) with other
/// requests: it is unconditional (no expect_version: its precondition
/// cannot fail on the requests around it) and not a source setting
/// ("source/<id>" decides which writes after it are refused, and callers
/// check sources before they compose a group). Any change is *correct* in
/// a group; this is the rule the writer composes groups by.
bool may_group_commit(const definition_write& w);

/// An owner's progress (a trigger's last fire, a subscription's cursor):
/// an opaque value under a key, with a revision that grows by one with each
/// commit (1 for the first). Written only by event_store::commit_progress,
/// which is what actors/cluster's in-process coordinator fences on.
struct progress {
  std::string value;
  uint64_t revision = 0;
};

/// One compare-and-set of event_store::commit_progress_batch.
struct progress_write {
  std::string key;
  uint64_t expected_revision = 0; ///< 0: nothing stored yet
  std::string value;
};

/// A source (DESIGN §4, seed 002): every `source` value seen, plus every
/// source with a "source/<id>" definition. Counts are of events accepted
/// from it since the store was created (retention does not lower them).
struct source_info {
  std::string id;
  bool enabled = true;
  uint64_t events = 0;
  uint64_t last_seq = 0;      ///< 0 when no event came from it yet
  int64_t last_accept_ns = 0; ///< accept time of last_seq
};

struct query_page {
  std::vector<v1::Event> events;
  /// Opaque cursor to pass as `after`; empty at the end of the results.
  std::string next;
  /// Every seq up to (asc) / down to (desc) this one has been examined:
  /// streams resume after it. When the scan reached the end (`next` empty)
  /// it is the snapshot's last seq (asc) or max(from_seq, 1) (desc).
  uint64_t last_examined_seq = 0;
};

/// A page of the scope tree: the scopes one segment below a parent.
struct scope_page {
  /// Full scope paths ("project/p1/prod"), in byte order.
  std::vector<std::string> scopes;
  /// The last scope examined, to pass as `after`; empty at the end.
  std::string next;
};

/// How much list_scopes() may examine (events read for visibility).
struct scope_list_budget {
  /// Events examined for one scope before it counts as hidden.
  size_t per_scope = 1000;
  /// Events examined for one page before it ends early with `next`.
  size_t per_page = 20000;
};

class event_store {
public:
  /// Opens (or creates) the store; recovers from the WAL after a crash (a
  /// torn WAL tail is dropped: every write that returned success with
  /// sync=true survives). Fails with storage::errc (io_error, corruption,
  /// unsupported_format).
  static caf::expected<std::unique_ptr<event_store>>
  open(const store_options& opts);

  /// Closes the database (idempotent; the destructor calls it). Afterwards
  /// every call fails with storage::errc::closed. Waits for running calls.
  /// With opts.sync == false the WAL is fsynced first.
  caf::error close();

  ~event_store();
  event_store(const event_store&) = delete;
  event_store& operator=(const event_store&) = delete;

  /// Appends events atomically in one WriteBatch (fsync'd when opts.sync):
  /// all are stored or none. Assigns consecutive seqs to the new ones, sets
  /// `seq`, `node` and `accept_time_ns` on them in place; an event whose id is
  /// already stored (or repeated earlier in the same batch) is not stored and
  /// gets the stored seq with duplicate=true and is left unchanged. Results
  /// are in input order. Before writing, every event must have an id of
  /// 1-256 bytes and a non-empty name, else the whole batch is refused with
  /// runtime::errc::invalid_id / invalid_name (field "/<index>/id").
  /// On any failure nothing is stored, the store's state is unchanged and
  /// the events' seq/node/accept_time_ns are reset to 0/empty.
  caf::expected<std::vector<append_result>>
  append(std::vector<v1::Event>& events, const std::string& node_id,
         int64_t accept_time_ns);

  /// Group commit: the events of several independent requests (`requests`
  /// split `events` into consecutive runs, in order) in one WriteBatch and
  /// one fsync. A request the store refuses fails alone, with nothing of it
  /// stored: `refused[r]` (resized to requests.size()) holds its error and
  /// its events' results are left empty (seq 0). Refusals: invalid_id /
  /// invalid_name and source_disabled as in append() (fields relative to
  /// the request), and runtime::errc::conflict (field "/id" or
  /// "/<index>/id", no seq in the message) for an id that is already
  /// stored, or published earlier in the same commit, as an event the
  /// request's caller may not see. Every other request is stored as
  /// append() would store it alone (duplicates of visible ids come back
  /// with duplicate=true). An error of the call itself (I/O, corruption)
  /// fails every request and stores nothing.
  ///
  /// Definition changes (append_request::change): each is checked and
  /// stored as commit_definition() would, against the state the requests
  /// before it in the commit leave (two changes of one key apply in order,
  /// the last one wins; a source setting decides for the events after it),
  /// and is stored with its request's events or not at all: a refused
  /// change (conflict, not_found, invalid_field) refuses its request, a
  /// refused request stores no change, and neither affects the others.
  /// `versions` (when given; resized to requests.size()) gets, per request,
  /// the version its change produced as in definition_result (0 without a
  /// change or when refused).
  caf::expected<std::vector<append_result>>
  append_requests(std::vector<v1::Event>& events,
                  const std::vector<append_request>& requests,
                  std::vector<caf::error>& refused, const std::string& node_id,
                  int64_t accept_time_ns,
                  std::vector<uint64_t>* versions = nullptr);

  /// The stored event with this id / seq (nullopt when absent). No
  /// visibility check: callers apply runtime::can_see.
  caf::expected<std::optional<v1::Event>>
  get_by_id(const std::string& id) const;
  caf::expected<std::optional<v1::Event>> get_by_seq(uint64_t seq) const;

  /// Runs a query as `who` (events `who` may not see are skipped, never
  /// returned). Cursor errors are runtime::errc::invalid_cursor, field "after".
  /// Answered from one consistent snapshot, planned on the indexes (see
  /// storage/README.md). `limit` is clamped to 1..1000, `scan_budget` to at
  /// least 1; the budget counts events examined plus index seeks that found
  /// no common candidate. `from_seq` is an inclusive lower seq bound in both
  /// orders. An empty `source`/`tenant`/`user` matches events without one;
  /// an empty `scope` (or "/") matches every event.
  caf::expected<query_page> query(const event_query& q,
                                  const runtime::identity& who) const;

  /// The scopes one segment below `parent` ("" or "/": the roots) that
  /// hold an event `who` may see, in byte order, after `after` (a scope
  /// of that level; "" from the start), at most `limit` (clamped to
  /// 1..1000). Read from the scope index of one snapshot; an admin's list
  /// reads no event. For any other caller a scope is listed once one of
  /// its first `budget.per_scope` events is visible (a scope whose first
  /// events are all hidden is not listed), and a page ends early with
  /// `next` after `budget.per_page` events. Errors: runtime::errc::
  /// invalid_scope (field "parent") for a malformed parent, runtime::
  /// errc::invalid_parameter (field "after") for an `after` that is not a
  /// scope one segment below `parent`; storage::errc.
  caf::expected<scope_page> list_scopes(std::string_view parent,
                                        std::string_view after, size_t limit,
                                        const runtime::identity& who,
                                        scope_list_budget budget = {}) const;

  /// Commits a definition change together with `events` (normally the
  /// system event announcing it) in one WriteBatch, under append()'s lock so
  /// changes are totally ordered with every append. Events are handled as
  /// in append(). Errors (nothing stored): runtime::errc::conflict, field
  /// "If-Match", when expect_version is set and differs from the stored
  /// version (0 when absent); runtime::errc::not_found, field "key", for the
  /// delete of an absent key without expect_version; runtime::errc::
  /// invalid_field for an empty key or, for a "source/<id>" key, a value
  /// that is not `{"enabled":bool}`; storage::errc.
  /// A "source/<id>" definition with enabled=false makes append() refuse
  /// events from that source from the next call on.
  caf::expected<definition_result>
  commit_definition(const definition_write& change,
                    std::vector<v1::Event>& events, const std::string& node_id,
                    int64_t accept_time_ns);

  /// The definition stored under `key`, nullopt when absent.
  caf::expected<std::optional<definition>>
  get_definition(const std::string& key) const;

  /// Every definition whose key starts with `prefix`, in key order.
  caf::expected<std::vector<definition>>
  list_definitions(const std::string& prefix) const;

  /// At most `limit` definitions under `prefix` whose keys come after
  /// `after` (empty: from the start), in key order: a page of a prefix
  /// that may hold many (dead letters).
  caf::expected<std::vector<definition>>
  list_definitions(const std::string& prefix, const std::string& after,
                   size_t limit) const;

  /// The progress stored under `key`, nullopt when none was committed.
  caf::expected<std::optional<progress>>
  get_progress(const std::string& key) const;

  /// Compare-and-set of `key`'s progress: stores `value` with revision
  /// `expected_revision` + 1 if the stored revision is `expected_revision`
  /// (0 = nothing stored yet), and answers the new revision. Checked and
  /// written under append()'s lock, so of concurrent commits with the same
  /// expected revision exactly one succeeds. Durable like a definition (one
  /// WriteBatch, fsync'd when opts.sync). Errors (nothing stored):
  /// runtime::errc::conflict, field "revision", when the stored revision
  /// differs (the message names it); runtime::errc::invalid_field, field
  /// "key", for an empty key; storage::errc.
  caf::expected<uint64_t> commit_progress(const std::string& key,
                                          uint64_t expected_revision,
                                          const std::string& value);

  /// Several compare-and-sets in one WriteBatch and one fsync, each checked
  /// as commit_progress() checks it, in order: a write of a key that an
  /// earlier write of the batch committed sees that write's revision.
  /// Answers one result per write, in order: its new revision, or its own
  /// error (conflict, invalid_field as commit_progress()), which fails
  /// that write alone. An error of the call (I/O, closed) fails every
  /// write and stores nothing. Under append()'s lock like commit_progress.
  caf::expected<std::vector<caf::expected<uint64_t>>>
  commit_progress_batch(const std::vector<progress_write>& writes);

  /// runtime::errc::source_disabled when an event of `events` comes from a
  /// disabled source (field "/<index>/source", or "/source" for a single
  /// event); append() makes the same check atomically. Lets a caller refuse
  /// one request without failing the others it would have batched with it.
  caf::error check_sources(const std::vector<v1::Event>& events) const;

  /// Every source, sorted by id.
  std::vector<source_info> sources() const;

  /// Highest seq stored (0 when empty).
  uint64_t last_seq() const noexcept;

  /// Small persistent key/value metadata (node id, ...); put_meta always
  /// fsyncs.
  caf::expected<std::optional<std::string>>
  get_meta(const std::string& key) const;
  caf::error put_meta(const std::string& key, const std::string& value);

  /// Approximate bytes on disk (SST + memtables).
  uint64_t approximate_size() const;

  /// RocksDB's memory (all zero once closed).
  store_memory memory_usage() const;

  /// Retention (storage/README.md "Retention"): deletes events whose age
  /// (`now_ns` - accept_time_ns) exceeds the policy's max age for their
  /// name, then the oldest events while estimated_live_bytes() is over
  /// max_bytes; at most `max_events` per call (`more` says whether the limit
  /// stopped it). Each event goes with its id entry, every index entry and
  /// its zone/name bookkeeping, in small WriteBatches (not fsync'd: a lost
  /// deletion is redone by the next call); append() waits at most one batch.
  /// Afterwards queries, get_by_id and the idempotency check behave as if
  /// the events never existed (a deleted id may be published again and gets
  /// a new seq); seqs are never reused. A pure function of (store, policy,
  /// now): callers pass the clock. Calls are serialized. Errors: a policy
  /// that fails validate(), storage::errc.
  caf::expected<retention_result> expire(const retention_policy& policy,
                                         int64_t now_ns, size_t max_events);

  /// Estimated bytes the live events take on disk: the store's files and
  /// memtables, scaled by the share of the events column family that is
  /// still live (deleted space is returned later, by compaction). What
  /// retention's max_bytes bounds.
  caf::expected<uint64_t> estimated_live_bytes() const;

  /// Flushes every memtable to SST files (tests and tools that measure
  /// sizes; the WAL already makes writes durable).
  caf::error flush();

  struct impl;

private:
  explicit event_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace herald::storage
