// event_store: open/close, point reads, meta and size. The write path is in
// event_append.cpp, queries in event_query.cpp.

#include "storage/event_store.hpp"

#include <charconv>
#include <mutex>
#include <system_error>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>

#include "storage/errc.hpp"
#include "storage/store_impl.hpp"

namespace herald::storage {

caf::error to_error(const rocksdb::Status& st, std::string_view what) {
  if (st.ok())
    return caf::error{};
  auto text = std::string{what} + ": " + st.ToString();
  if (st.IsCorruption())
    return caf::make_error(errc::corruption, std::move(text));
  if (st.IsBusy() || st.IsTryAgain() || st.IsTimedOut())
    return caf::make_error(errc::busy, std::move(text));
  return caf::make_error(errc::io_error, std::move(text));
}

namespace {

caf::error closed_error() {
  return caf::make_error(errc::closed, std::string{"event store is closed"});
}

rocksdb::DBOptions make_db_options(const store_options& opts) {
  rocksdb::DBOptions o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.max_background_jobs = 2;
  o.manual_wal_flush = false;
  o.enable_pipelined_write = false;
  // One writer (append is serialized): memtable insert hints need this off.
  o.allow_concurrent_memtable_write = false;
  // A torn tail after kill -9 or power loss: recover up to the last intact
  // record (a consistent prefix across all column families) and open.
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // (No WAL recycling: RocksDB turns it off under point-in-time recovery.)
  // `names` and `meta` are rarely written; without a cap their old
  // memtables would pin every WAL file forever.
  o.max_total_wal_size = 4 * static_cast<uint64_t>(opts.write_buffer_bytes);
  o.bytes_per_sync = 1u << 20;
  o.keep_log_file_num = 4;
  o.max_manifest_file_size = 64u << 20;
  return o;
}

/// Memtable insert hints: keys that share a prefix arrive in increasing
/// order (seq suffixes, time-ordered ids), so remembering where the last key
/// of each prefix went turns most skiplist inserts into O(1) appends.
class hint_prefix : public rocksdb::SliceTransform {
public:
  /// `suffix`: bytes after the prefix; 0 means "the whole CF is one
  /// prefix" (events, ids).
  explicit hint_prefix(size_t suffix) : suffix_(suffix) {}
  const char* Name() const override { return "herald.hint_prefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    if (suffix_ == 0)
      return rocksdb::Slice{key.data(), 0};
    return rocksdb::Slice{key.data(), key.size() - suffix_};
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() > suffix_;
  }

private:
  size_t suffix_;
};

std::vector<rocksdb::ColumnFamilyDescriptor>
make_cf_descriptors(const store_options& opts,
                    const std::shared_ptr<rocksdb::Cache>& cache) {
  auto base = [&](size_t block_size, size_t write_buffer, bool bloom) {
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    t.block_size = block_size;
    t.format_version = 5;
    // Index and filter blocks live in the shared block cache (charged to
    // its capacity), not in each table reader: memory is bounded by
    // block_cache_bytes instead of growing with the data on disk. They go
    // to the cache's high-priority pool; L0's and the top-level partition
    // indexes stay pinned (bounded by the L0 file count and the number of
    // files), so a point read needs at most one uncached partition.
    t.cache_index_and_filter_blocks = true;
    t.cache_index_and_filter_blocks_with_high_priority = true;
    t.pin_l0_filter_and_index_blocks_in_cache = true;
    t.pin_top_level_index_and_filter = true;
    t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    t.metadata_block_size = 4096;
    if (bloom) {
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      t.partition_filters = true;
    }
    rocksdb::ColumnFamilyOptions c;
    c.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    c.write_buffer_size = write_buffer;
    c.max_write_buffer_number = 3;
    c.level_compaction_dynamic_level_bytes = true;
    // Flushes (L0) uncompressed, LZ4 below: on two cores, background CPU
    // is ingest throughput. (ZSTD at the bottom would save disk at a CPU
    // cost retention may make worth it later.)
    c.compression = rocksdb::kLZ4Compression;
    c.compression_per_level.assign(7, rocksdb::kLZ4Compression);
    c.compression_per_level[0] = rocksdb::kNoCompression;
    return c;
  };
  const size_t wb = opts.write_buffer_bytes;
  // Retention deletes oldest-first: a file that comes out of a flush or
  // compaction mostly made of deletions is compacted again soon, so the
  // space returns without waiting for size-triggered compactions.
  auto deletion_compaction = [](rocksdb::ColumnFamilyOptions& c) {
    c.table_properties_collector_factories.emplace_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(16384, 8192, 0.5));
  };
  // 4 KiB blocks: a query's candidates are point reads scattered over the
  // trail, and each one decompresses a whole block (16 KiB blocks: scope
  // and intersection queries ~35-50 % slower at p50 on 10M events; ingest
  // within 2 %; docs/BENCHMARKS.md, issue 13).
  auto events = base(4 << 10, wb, false);
  events.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<hint_prefix>(0);
  auto ids = base(4 << 10, wb / 2, true);
  ids.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<hint_prefix>(0);
  // Idempotency probes are mostly misses: a memtable bloom skips them.
  ids.memtable_prefix_bloom_size_ratio = 0.05;
  ids.memtable_whole_key_filtering = true;
  // (No insert hints for idx: append puts its postings in key order, which
  // the skip list's own last-insert splice serves better than a hint per
  // prefix.)
  auto idx = base(4 << 10, wb, false);
  deletion_compaction(events);
  deletion_compaction(ids);
  deletion_compaction(idx);
  auto small = base(4 << 10, 4u << 20, false);
  std::vector<rocksdb::ColumnFamilyDescriptor> out;
  out.emplace_back(rocksdb::kDefaultColumnFamilyName, small);
  out.emplace_back(cf_names_on_disk[cf_events], events);
  out.emplace_back(cf_names_on_disk[cf_ids], ids);
  out.emplace_back(cf_names_on_disk[cf_idx], idx);
  out.emplace_back(cf_names_on_disk[cf_zones], small);
  out.emplace_back(cf_names_on_disk[cf_names], small);
  out.emplace_back(cf_names_on_disk[cf_meta], small);
  return out;
}

/// Reads or (on a new store) writes the format and zone shift.
caf::error init_meta(event_store::impl& s) {
  auto* db = s.db.get();
  std::string format;
  auto st = db->Get(rocksdb::ReadOptions{}, s[cf_meta],
                    std::string{meta_format_key}, &format);
  if (st.IsNotFound()) {
    auto shift = s.opts.zone_block_shift;
    if (shift < 1 || shift > 32)
      shift = default_zone_shift;
    rocksdb::WriteBatch batch;
    auto ok = batch.Put(s[cf_meta], std::string{meta_format_key},
                        std::string{store_format});
    if (ok.ok())
      ok = batch.Put(s[cf_meta], std::string{meta_zone_shift_key},
                     std::to_string(shift));
    if (!ok.ok())
      return to_error(ok, "init meta");
    rocksdb::WriteOptions w;
    w.sync = true;
    if (auto err = to_error(db->Write(w, &batch), "init meta"))
      return err;
    s.zone_shift = shift;
    return caf::error{};
  }
  if (auto err = to_error(st, "read format"))
    return err;
  if (format == store_format_v1) {
    // Its one-entry-per-event index is a valid format 2 index; from now on
    // postings are written, which a build reading only format 1 would
    // misread: mark the store.
    rocksdb::WriteOptions w;
    w.sync = true;
    st = db->Put(w, s[cf_meta], std::string{meta_format_key},
                 std::string{store_format});
    if (auto err = to_error(st, "upgrade format"))
      return err;
  } else if (format != store_format) {
    return caf::make_error(errc::unsupported_format,
                           "store format " + format + " (this build reads " +
                               std::string{store_format_v1} + " and " +
                               std::string{store_format} + ")");
  }
  std::string shift;
  st = db->Get(rocksdb::ReadOptions{}, s[cf_meta],
               std::string{meta_zone_shift_key}, &shift);
  if (auto err = to_error(st, "read zone shift"))
    return err;
  uint32_t v = 0;
  auto [end, ec] =
      std::from_chars(shift.data(), shift.data() + shift.size(), v);
  if (ec != std::errc{} || end != shift.data() + shift.size() || v < 1 ||
      v > 32)
    return caf::make_error(errc::corruption, "bad zone shift " + shift);
  s.zone_shift = v;
  return caf::error{};
}

/// Recovers last_seq, the tail zone and the name catalog.
caf::error recover_state(event_store::impl& s) {
  auto* db = s.db.get();
  {
    std::unique_ptr<rocksdb::Iterator> it{
        db->NewIterator(rocksdb::ReadOptions{}, s[cf_events])};
    it->SeekToLast();
    if (it->Valid()) {
      if (it->key().size() != 8)
        return caf::make_error(errc::corruption,
                               std::string{"malformed events key"});
      s.last_seq = get_be64(it->key().data());
    } else if (auto err = to_error(it->status(), "recover last seq")) {
      return err;
    }
  }
  {
    // Retention may have deleted the newest events: seqs are never reused.
    std::string v;
    auto st = db->Get(rocksdb::ReadOptions{}, s[cf_meta],
                      std::string{meta_last_seq_key}, &v);
    if (st.ok() && v.size() == 8 && get_be64(v.data()) > s.last_seq.load())
      s.last_seq = get_be64(v.data());
    else if (!st.ok() && !st.IsNotFound())
      return to_error(st, "recover last seq");
  }
  if (auto last = s.last_seq.load(); last > 0) {
    s.tail_block = last >> s.zone_shift;
    std::string v;
    auto st =
        db->Get(rocksdb::ReadOptions{}, s[cf_zones], seq_key(s.tail_block), &v);
    if (st.ok()) {
      if (!decode_zone(v, s.tail_zone))
        return caf::make_error(errc::corruption,
                               std::string{"malformed zone entry"});
      s.has_tail_zone = true;
    } else if (!st.IsNotFound()) {
      return to_error(st, "recover zone");
    }
  }
  std::unique_ptr<rocksdb::Iterator> it{
      db->NewIterator(rocksdb::ReadOptions{}, s[cf_names])};
  for (it->SeekToFirst(); it->Valid(); it->Next())
    s.names.insert(it->key().ToStringView());
  if (auto err = to_error(it->status(), "load name catalog"))
    return err;
  return load_sources(s);
}

} // namespace

caf::error event_store::impl::close_db() {
  if (!db)
    return caf::error{};
  caf::error result;
  if (!opts.sync) {
    // Async durability: make a clean shutdown durable all the same.
    result = to_error(db->FlushWAL(true), "sync WAL on close");
  }
  for (auto*& h : cf) {
    if (h != nullptr) {
      auto st = db->DestroyColumnFamilyHandle(h);
      if (!result)
        result = to_error(st, "close column family");
      h = nullptr;
    }
  }
  if (default_cf != nullptr) {
    auto st = db->DestroyColumnFamilyHandle(default_cf);
    if (!result)
      result = to_error(st, "close column family");
    default_cf = nullptr;
  }
  auto st = db->Close();
  if (!result)
    result = to_error(st, "close");
  db.reset();
  return result;
}

caf::expected<std::unique_ptr<event_store>>
event_store::open(const store_options& opts) {
  std::error_code ec;
  std::filesystem::create_directories(opts.dir, ec);
  if (ec)
    return caf::make_error(errc::io_error,
                           "create " + opts.dir.string() + ": " + ec.message());
  auto s = std::make_unique<impl>();
  s->opts = opts;
  s->write_opts.sync = opts.sync;
  s->block_cache = rocksdb::NewLRUCache(opts.block_cache_bytes);
  auto descriptors = make_cf_descriptors(opts, s->block_cache);
  auto db_opts = make_db_options(opts);
  if (opts.file_system) {
    s->env = rocksdb::NewCompositeEnv(opts.file_system);
    db_opts.env = s->env.get();
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(db_opts, opts.dir.string(), descriptors, &handles,
                              &raw);
  if (!st.ok())
    return to_error(st, "open " + opts.dir.string());
  s->db.reset(raw);
  s->default_cf = handles[0];
  for (size_t i = 0; i < cf_count; ++i)
    s->cf[i] = handles[i + 1];
  caf::error err = init_meta(*s);
  if (!err)
    err = recover_state(*s);
  if (err) {
    s->close_db();
    return err;
  }
  return std::unique_ptr<event_store>{new event_store(std::move(s))};
}

event_store::event_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {
  // nop
}

event_store::~event_store() {
  close();
}

caf::error event_store::close() {
  std::unique_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return caf::error{};
  impl_->closed = true;
  return impl_->close_db();
}

caf::expected<std::optional<v1::Event>>
event_store::get_by_seq(uint64_t seq) const {
  std::shared_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  rocksdb::PinnableSlice value;
  auto st = impl_->db->Get(rocksdb::ReadOptions{}, impl_->cf[cf_events],
                           seq_key(seq), &value);
  if (st.IsNotFound())
    return std::optional<v1::Event>{};
  if (auto err = to_error(st, "get event"))
    return err;
  std::optional<v1::Event> ev{std::in_place};
  if (!ev->ParseFromArray(value.data(), static_cast<int>(value.size())))
    return caf::make_error(errc::corruption,
                           "event " + std::to_string(seq) + " does not decode");
  return ev;
}

caf::expected<std::optional<v1::Event>>
event_store::get_by_id(const std::string& id) const {
  uint64_t seq = 0;
  {
    std::shared_lock lock{impl_->life_mtx};
    if (impl_->closed)
      return closed_error();
    rocksdb::PinnableSlice value;
    auto st =
        impl_->db->Get(rocksdb::ReadOptions{}, impl_->cf[cf_ids], id, &value);
    if (st.IsNotFound())
      return std::optional<v1::Event>{};
    if (auto err = to_error(st, "get id"))
      return err;
    if (value.size() != 8)
      return caf::make_error(errc::corruption, "id entry of " + id);
    seq = get_be64(value.data());
  }
  // An id whose event retention removed in between reads as not found.
  return get_by_seq(seq);
}

uint64_t event_store::last_seq() const noexcept {
  return impl_->last_seq.load(std::memory_order_acquire);
}

caf::expected<std::optional<std::string>>
event_store::get_meta(const std::string& key) const {
  std::shared_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  std::string value;
  auto st = impl_->db->Get(rocksdb::ReadOptions{}, impl_->cf[cf_meta],
                           "u/" + key, &value);
  if (st.IsNotFound())
    return std::optional<std::string>{};
  if (auto err = to_error(st, "get meta"))
    return err;
  return std::optional<std::string>{std::move(value)};
}

caf::error event_store::put_meta(const std::string& key,
                                 const std::string& value) {
  std::shared_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  rocksdb::WriteOptions w;
  w.sync = true; // rare and small (node id): always durable
  return to_error(impl_->db->Put(w, impl_->cf[cf_meta], "u/" + key, value),
                  "put meta");
}

uint64_t event_store::approximate_size() const {
  std::shared_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return 0;
  uint64_t sst = 0;
  uint64_t mem = 0;
  impl_->db->GetAggregatedIntProperty("rocksdb.live-sst-files-size", &sst);
  impl_->db->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &mem);
  return sst + mem;
}

store_memory event_store::memory_usage() const {
  std::shared_lock lock{impl_->life_mtx};
  store_memory out;
  if (impl_->closed)
    return out;
  auto* db = impl_->db.get();
  db->GetAggregatedIntProperty("rocksdb.estimate-table-readers-mem",
                               &out.table_readers_bytes);
  db->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables",
                               &out.memtable_bytes);
  out.block_cache_bytes = impl_->block_cache->GetUsage();
  out.block_cache_pinned_bytes = impl_->block_cache->GetPinnedUsage();
  out.block_cache_capacity_bytes = impl_->block_cache->GetCapacity();
  return out;
}

} // namespace herald::storage
