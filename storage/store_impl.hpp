#pragma once

// event_store's private state. Storage-internal: this header includes
// RocksDB and must not be included outside storage/.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>

#include "storage/event_index.hpp"
#include "storage/event_store.hpp"
#include "storage/name_catalog.hpp"

namespace herald::storage {

/// The column families, in the order they are opened (after "default").
enum cf_id : size_t {
  cf_events,
  cf_ids,
  cf_idx,
  cf_zones,
  cf_names,
  cf_meta,
  cf_count
};

/// Column family names on disk.
inline constexpr std::array<const char*, cf_count> cf_names_on_disk{
    "events", "ids", "idx", "zones", "names", "meta"};

/// Maps a failed status to storage::errc (corruption, busy, io_error) with
/// `what` and RocksDB's text as context; none for an ok status.
caf::error to_error(const rocksdb::Status& st, std::string_view what);

/// Releases a snapshot when a read ends, however it ends.
struct snapshot_guard {
  rocksdb::DB* db;
  const rocksdb::Snapshot* snap;
  ~snapshot_guard() { db->ReleaseSnapshot(snap); }
};

struct event_store::impl {
  store_options opts;
  /// The Env over opts.file_system (null: RocksDB's default Env). Declared
  /// before `db`, which must not outlive it.
  std::unique_ptr<rocksdb::Env> env;
  /// The one block cache every column family shares.
  std::shared_ptr<rocksdb::Cache> block_cache;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* default_cf = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, cf_count> cf{};
  rocksdb::WriteOptions write_opts;

  /// Guards the lifetime of `db`: every operation holds it shared, close()
  /// exclusively; `closed` is read and written under it.
  mutable std::shared_mutex life_mtx;
  bool closed = false;

  /// Highest stored seq; written by the writer after a successful write.
  std::atomic<uint64_t> last_seq{0};
  /// log2 of the events per zone block; fixed when the store is created.
  uint32_t zone_shift = default_zone_shift;
  /// The zone of the block holding last_seq (writer-only state).
  bool has_tail_zone = false;
  uint64_t tail_block = 0;
  zone_range tail_zone;

  name_catalog names;

  /// Every source's counters and setting ("s/<id>" and "d/source/<id>" in
  /// the meta CF), loaded at open, updated by the writer after each write.
  struct source_state {
    bool enabled = true;
    bool defined = false; ///< has a "source/<id>" definition
    uint64_t events = 0;
    uint64_t last_seq = 0;
    int64_t last_accept_ns = 0;
  };
  mutable std::shared_mutex sources_mtx;
  std::map<std::string, source_state, std::less<>> sources;
  /// Sources with enabled == false (the write path's fast "none" check).
  size_t disabled_sources = 0;

  /// Serializes append() calls (the writer actor is the only caller; the
  /// mutex makes a second caller safe, not fast).
  std::mutex write_mtx;

  /// Writer scratch, reused by every append (no page faults for a fresh
  /// batch buffer each time).
  std::string key_buf;
  std::string value_buf;
  rocksdb::WriteBatch batch;
  /// The index keys of the events being written (for_each_index_key's),
  /// back to back, and (offset, size) of each: put as postings.
  std::string idx_keys;
  std::vector<std::pair<uint32_t, uint32_t>> idx_refs;

  /// Serializes expire() calls; guards the retention state below.
  std::mutex retention_mtx;
  /// Every event below this seq is deleted or owned by a rule (the default
  /// age walk resumes here), valid for the policy with this fingerprint.
  uint64_t age_walk_floor = 0;
  std::string age_walk_policy;
  /// Retention deletes each name's oldest entries first, so for every name
  /// here no idx entry below the seq exists any more: walks seek past the
  /// deletions' tombstones instead of scanning them.
  std::unordered_map<std::string, uint64_t> name_floor;
  /// No event below this seq exists (only grows; read by size estimates).
  std::atomic<uint64_t> events_floor{0};

  rocksdb::ColumnFamilyHandle* operator[](cf_id id) const { return cf[id]; }

  /// Destroys column family handles and closes the database.
  caf::error close_db();
};

/// Internal meta keys (user keys of get_meta/put_meta are prefixed "u/").
inline constexpr std::string_view meta_format_key = "i/format";
inline constexpr std::string_view meta_zone_shift_key = "i/zone_shift";
/// BE64 last seq, written by retention's deletions so that seqs are never
/// reused even when the newest events are deleted.
inline constexpr std::string_view meta_last_seq_key = "i/last_seq";
/// Format 2: idx entries are postings (event_index.hpp). Format 1 stores
/// (one entry per event, empty values) read as one-seq postings and are
/// marked 2 when opened: a build that reads only 1 then refuses them.
inline constexpr std::string_view store_format = "2";
inline constexpr std::string_view store_format_v1 = "1";
/// Definitions live under "d/<key>" (BE64 version + value), source
/// counters under "s/<source>" (BE64 events, last seq, last accept ns).
inline constexpr std::string_view meta_definition_prefix = "d/";
inline constexpr std::string_view meta_source_prefix = "s/";
inline constexpr std::string_view source_definition_prefix = "source/";
/// Owners' progress (event_store::commit_progress) lives under "p/<key>"
/// (BE64 revision + value).
inline constexpr std::string_view meta_progress_prefix = "p/";

/// Loads the source table from the meta CF (at open).
caf::error load_sources(event_store::impl& s);

} // namespace herald::storage
