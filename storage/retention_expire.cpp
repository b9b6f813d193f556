// event_store::expire: retention's deletions (storage/README.md
// "Retention"), and the live-size estimate the size budget uses.
//
// Three passes per call, sharing one event budget:
//   1. rules    for every rule with an age, the catalog names it decides:
//               walk that name's index range from its lowest seq, stop at
//               the first event young enough to stay
//   2. default  walk `events` from the lowest seq (resuming at a floor kept
//               in memory), skip events a rule decides, stop at the first
//               one young enough
//   3. size     while the live-size estimate is over budget, delete from
//               the lowest seq
// Both walks rely on accept time growing with seq (the writer stamps each
// batch with the clock when it commits): if the clock steps back, younger
// events hold older ones back until they expire themselves -- late, never
// early.

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include <rocksdb/perf_level.h>
#include <rocksdb/write_batch.h>

#include "storage/errc.hpp"
#include "storage/event_store.hpp"
#include "storage/store_impl.hpp"

namespace herald::storage {

namespace {

/// The lowest stored seq (0 when empty), sought from events_floor so that
/// the tombstones of deleted events are not scanned; raises the floor.
caf::expected<uint64_t> lowest_seq(event_store::impl& s) {
  const uint64_t last = s.last_seq.load();
  const uint64_t floor = s.events_floor.load();
  std::unique_ptr<rocksdb::Iterator> it{
      s.db->NewIterator(rocksdb::ReadOptions{}, s[cf_events])};
  it->Seek(seq_key(floor));
  uint64_t found = 0;
  if (it->Valid())
    found = get_be64(it->key().data());
  else if (auto err = to_error(it->status(), "retention scan"))
    return err;
  // Seqs appended later are above `last`.
  const uint64_t new_floor = found != 0 ? found : last + 1;
  uint64_t cur = floor;
  while (cur < new_floor &&
         !s.events_floor.compare_exchange_weak(cur, new_floor)) {
  }
  return found;
}

/// Events per WriteBatch: append() waits at most for one of these.
constexpr size_t chunk_events = 256;

caf::error closed_error() {
  return caf::make_error(errc::closed, std::string{"event store is closed"});
}

/// now - age, saturating at the lowest time.
int64_t cutoff(int64_t now_ns, int64_t age_ns) noexcept {
  int64_t out = 0;
  if (__builtin_sub_overflow(now_ns, age_ns, &out))
    return std::numeric_limits<int64_t>::min();
  return out;
}

caf::error parse_event(const rocksdb::Slice& bytes, uint64_t seq,
                       v1::Event& out) {
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return caf::make_error(errc::corruption,
                           "event " + std::to_string(seq) + " does not decode");
  return caf::error{};
}

/// Deletes collected events in one WriteBatch, then (still under the write
/// mutex, so no append interleaves) the names left without events and the
/// zone blocks left without events.
class deleter {
public:
  deleter(event_store::impl& s, retention_result& result)
      : s_(s), result_(result) {
    // nop
  }

  bool empty() const noexcept { return victims_.empty(); }
  size_t size() const noexcept { return victims_.size(); }

  void add(v1::Event ev, size_t value_bytes) {
    bytes_ += value_bytes;
    victims_.push_back(std::move(ev));
  }

  caf::error commit() {
    if (victims_.empty())
      return caf::error{};
    std::lock_guard writer{s_.write_mtx};
    rocksdb::WriteBatch batch;
    rocksdb::Status st;
    std::map<std::string, uint64_t, std::less<>> names; // -> highest seq
    std::set<uint64_t> blocks;
    uint64_t bytes = bytes_;
    idx_keys_.clear();
    for (const auto& ev : victims_) {
      auto key = seq_key(ev.seq());
      bytes += key.size() * 2 + ev.id().size();
      if (st.ok())
        st = batch.Delete(s_[cf_events], key);
      if (st.ok())
        st = batch.Delete(s_[cf_ids], ev.id());
      for_each_index_key(ev, key_buf_, [&](std::string_view k) {
        bytes += k.size();
        idx_keys_.emplace_back(k);
      });
      auto& top = names[ev.name()];
      top = std::max(top, ev.seq());
      blocks.insert(ev.seq() >> s_.zone_shift);
    }
    if (st.ok())
      if (auto err = unindex(batch))
        return err;
    const uint64_t last = s_.last_seq.load(std::memory_order_relaxed);
    if (st.ok())
      st =
          batch.Put(s_[cf_meta], std::string{meta_last_seq_key}, seq_key(last));
    if (!st.ok())
      return to_error(st, "build retention batch");
    rocksdb::WriteOptions wo; // not fsync'd: a lost deletion is redone
    if (auto err = to_error(s_.db->Write(wo, &batch), "retention delete"))
      return err;
    result_.events_deleted += victims_.size();
    result_.bytes_deleted += bytes;
    victims_.clear();
    bytes_ = 0;
    // Each name loses its oldest entries first (every pass deletes a
    // prefix of each name's entries), so nothing of it is left below.
    for (const auto& [name, top] : names) {
      auto& floor = s_.name_floor[name];
      floor = std::max(floor, top + 1);
    }
    return tidy(names, blocks, last >> s_.zone_shift);
  }

private:
  /// Takes the seqs of idx_keys_ out of the postings that hold them
  /// (event_index.hpp), in `batch`: a posting left empty is deleted, one
  /// that lost its first seq is re-keyed to the first one left, so every
  /// posting's seqs stay at or above its key (name_floor seeks rely on it).
  /// Reads the latest state: the caller holds the write mutex, and earlier
  /// chunks of this run are written.
  caf::error unindex(rocksdb::WriteBatch& batch) {
    std::sort(idx_keys_.begin(), idx_keys_.end());
    std::unique_ptr<rocksdb::Iterator> it{
        s_.db->NewIterator(rocksdb::ReadOptions{}, s_[cf_idx])};
    std::string entry;         // the posting being rewritten
    std::vector<uint64_t> old; // its seqs
    std::vector<uint64_t> gone;
    std::vector<uint64_t> left;
    std::string value;
    rocksdb::Status st;
    auto rewrite = [&] {
      if (entry.empty() || gone.empty())
        return;
      left.clear();
      std::set_difference(old.begin(), old.end(), gone.begin(), gone.end(),
                          std::back_inserter(left));
      const size_t prefix_size = entry.size() - 8;
      if (left.empty() || left.front() != old.front())
        st = batch.Delete(s_[cf_idx], entry);
      if (st.ok() && !left.empty()) {
        entry.resize(prefix_size);
        put_be64(entry, left.front());
        value.clear();
        append_posting_value(value, left.data(), left.size());
        st = batch.Put(s_[cf_idx], entry, value);
      }
    };
    for (const auto& k : idx_keys_) {
      const std::string_view prefix{k.data(), k.size() - 8};
      const uint64_t seq = get_be64(k.data() + prefix.size());
      if (!entry.empty() && std::string_view{entry}.starts_with(prefix) &&
          entry.size() == k.size() && seq <= old.back()) {
        if (std::binary_search(old.begin(), old.end(), seq) &&
            (gone.empty() || gone.back() != seq))
          gone.push_back(seq);
        continue;
      }
      rewrite();
      entry.clear();
      gone.clear();
      if (!st.ok())
        break;
      it->SeekForPrev(k);
      if (!it->Valid()) {
        st = it->status();
        if (!st.ok())
          break;
        continue; // no entry holds it
      }
      const auto found = it->key();
      if (found.size() != k.size() || !found.starts_with(prefix))
        continue; // no entry holds it
      if (!decode_posting(get_be64(found.data() + prefix.size()),
                          it->value().ToStringView(), old))
        return caf::make_error(errc::corruption,
                               "malformed index entry of event " +
                                   std::to_string(seq));
      entry.assign(found.data(), found.size());
      if (std::binary_search(old.begin(), old.end(), seq))
        gone.push_back(seq);
    }
    if (st.ok())
      rewrite();
    return to_error(st, "build retention batch");
  }

  /// True iff the idx/events CF has no key in [lower, upper).
  bool range_empty(rocksdb::ColumnFamilyHandle* cf, const std::string& lower,
                   const std::string& upper, rocksdb::Status& st) {
    rocksdb::ReadOptions ro;
    rocksdb::Slice ub{upper};
    ro.iterate_upper_bound = &ub;
    std::unique_ptr<rocksdb::Iterator> it{s_.db->NewIterator(ro, cf)};
    it->Seek(lower);
    st = it->status();
    return !it->Valid();
  }

  caf::error tidy(const std::map<std::string, uint64_t, std::less<>>& names,
                  const std::set<uint64_t>& blocks, uint64_t tail_block) {
    rocksdb::WriteBatch batch;
    rocksdb::Status st;
    std::vector<std::string> gone;
    for (const auto& [name, top] : names) {
      if (!st.ok())
        break;
      auto lower = index_prefix(index_type::name, name);
      auto upper = lower;
      upper.back() = '\x01';    // the prefix ends in 0x00
      put_be64(lower, top + 1); // below: only this run's tombstones
      if (!range_empty(s_[cf_idx], lower, upper, st))
        continue;
      if (st.ok())
        st = batch.Delete(s_[cf_names], name);
      gone.push_back(name);
    }
    // The tail block's zone stays: the writer keeps widening it in memory.
    for (auto block : blocks) {
      if (block == tail_block || !st.ok())
        continue;
      auto lower =
          seq_key(std::max(block << s_.zone_shift, s_.events_floor.load()));
      auto upper = seq_key((block + 1) << s_.zone_shift);
      if (range_empty(s_[cf_events], lower, upper, st) && st.ok())
        st = batch.Delete(s_[cf_zones], seq_key(block));
    }
    if (st.ok() && batch.Count() > 0)
      st = s_.db->Write(rocksdb::WriteOptions{}, &batch);
    if (auto err = to_error(st, "retention bookkeeping"))
      return err; // leftovers are harmless: an empty name or a wide zone
    s_.names.erase(gone);
    for (const auto& name : gone)
      s_.name_floor.erase(name);
    return caf::error{};
  }

  event_store::impl& s_;
  retention_result& result_;
  std::vector<v1::Event> victims_;
  uint64_t bytes_ = 0;
  std::string key_buf_;
  std::vector<std::string> idx_keys_; ///< the victims' index keys
};

/// One expire() call.
class expire_run {
public:
  expire_run(event_store::impl& s, const retention_policy& policy,
             int64_t now_ns, size_t max_events)
      : s_(s), policy_(policy), now_(now_ns), budget_(max_events),
        del_(s, result_) {
    // nop
  }

  caf::expected<retention_result> run() {
    if (auto err = by_rules())
      return err;
    if (auto err = by_default_age())
      return err;
    if (auto err = by_size())
      return err;
    return result_;
  }

private:
  /// Takes one event of the budget; false (and `more`) when none is left.
  bool take() {
    if (budget_ == 0) {
      result_.more = true;
      return false;
    }
    --budget_;
    return true;
  }

  caf::error add(v1::Event& ev, size_t bytes) {
    del_.add(std::move(ev), bytes);
    ev = v1::Event{};
    return del_.size() >= chunk_events ? del_.commit() : caf::error{};
  }

  caf::error by_rules() {
    for (size_t r = 0; r < policy_.rules.size(); ++r) {
      const auto& rule = policy_.rules[r];
      if (!rule.max_age_ns)
        continue;
      const int64_t limit = cutoff(now_, *rule.max_age_ns);
      auto names =
          s_.names.expand(rule.pattern, std::numeric_limits<size_t>::max());
      for (const auto& name : names.value_or(std::vector<std::string>{})) {
        if (policy_.rule_for(name) != r)
          continue; // an earlier rule decides this name
        if (auto err = expire_name(name, limit))
          return err;
        if (result_.more)
          return del_.commit();
      }
    }
    return del_.commit();
  }

  caf::error expire_name(const std::string& name, int64_t limit) {
    auto prefix = index_prefix(index_type::name, name);
    std::unique_ptr<rocksdb::Iterator> it{
        s_.db->NewIterator(rocksdb::ReadOptions{}, s_[cf_idx])};
    rocksdb::PinnableSlice value;
    v1::Event ev;
    auto start = prefix;
    if (auto f = s_.name_floor.find(name); f != s_.name_floor.end())
      put_be64(start, f->second);
    std::vector<uint64_t> seqs;
    // Postings at or above the floor hold only seqs at or above it.
    for (it->Seek(start); it->Valid() && it->key().starts_with(prefix) &&
                          it->key().size() == prefix.size() + 8;
         it->Next()) {
      const auto key = it->key();
      if (!decode_posting(get_be64(key.data() + prefix.size()),
                          it->value().ToStringView(), seqs))
        return caf::make_error(errc::corruption,
                               "malformed index entry of name " + name);
      for (const uint64_t seq : seqs) {
        value.Reset();
        auto st = s_.db->Get(rocksdb::ReadOptions{}, s_[cf_events],
                             seq_key(seq), &value);
        if (st.IsNotFound())
          continue; // deleted by this run, entry not yet rewritten
        if (auto err = to_error(st, "retention read"))
          return err;
        if (auto err = parse_event(value, seq, ev))
          return err;
        if (ev.accept_time_ns() >= limit || seq >= policy_.hold_from_seq ||
            !take())
          return caf::error{};
        if (auto err = add(ev, value.size()))
          return err;
      }
    }
    return to_error(it->status(), "retention scan");
  }

  caf::error by_default_age() {
    if (!policy_.max_age_ns || result_.more)
      return caf::error{};
    const int64_t limit = cutoff(now_, *policy_.max_age_ns);
    auto fingerprint = policy_.age_fingerprint();
    if (fingerprint != s_.age_walk_policy) {
      s_.age_walk_policy = std::move(fingerprint);
      s_.age_walk_floor = 0;
    }
    std::unique_ptr<rocksdb::Iterator> it{
        s_.db->NewIterator(rocksdb::ReadOptions{}, s_[cf_events])};
    v1::Event ev;
    uint64_t floor = std::max(s_.age_walk_floor, s_.events_floor.load());
    for (it->Seek(seq_key(floor)); it->Valid(); it->Next()) {
      const uint64_t seq = get_be64(it->key().data());
      if (auto err = parse_event(it->value(), seq, ev))
        return err;
      floor = seq; // undecided: the next call starts here
      if (policy_.rule_for(ev.name())) {
        floor = seq + 1; // its rule's pass owns it
        continue;
      }
      if (ev.accept_time_ns() >= limit || seq >= policy_.hold_from_seq ||
          !take())
        break;
      if (auto err = add(ev, it->value().size())) {
        s_.age_walk_floor = 0;
        return err;
      }
      floor = seq + 1;
    }
    if (auto err = to_error(it->status(), "retention scan"))
      return err;
    if (auto err = del_.commit()) {
      s_.age_walk_floor = 0;
      return err;
    }
    s_.age_walk_floor = floor;
    return caf::error{};
  }

  caf::expected<uint64_t> first_seq() { return lowest_seq(s_); }

  caf::error by_size() {
    if (!policy_.max_bytes || result_.more)
      return caf::error{};
    // Each round deletes the excess at the current average event size (an
    // over-estimate of the count when earlier deletions left holes, so the
    // estimate is taken again after every chunk and the pass stops once
    // under budget); a few rounds absorb the estimate's error.
    //
    // Hysteresis: a pass starts only above the budget and trims down to a
    // low watermark 1/64 under it. The estimate drifts a little as RocksDB
    // flushes and compacts in the background; without the margin a store
    // sitting at its budget would lose a few events on every sweep.
    const uint64_t low_watermark = *policy_.max_bytes - *policy_.max_bytes / 64;
    for (int round = 0; round < 8 && !result_.more; ++round) {
      auto live = estimate_live_bytes(s_);
      if (!live)
        return std::move(live.error());
      if (*live <= (round == 0 ? *policy_.max_bytes : low_watermark))
        break;
      auto done = delete_oldest(*live, low_watermark);
      if (!done)
        return std::move(done.error());
      if (!*done)
        break;
    }
    return caf::error{};
  }

  /// One round of by_size; false when there was nothing to delete.
  caf::expected<bool> delete_oldest(uint64_t live, uint64_t budget_bytes) {
    auto first = first_seq();
    if (!first)
      return std::move(first.error());
    if (*first == 0)
      return false;
    const uint64_t last = s_.last_seq.load();
    const uint64_t count = last >= *first ? last - *first + 1 : 1;
    const uint64_t avg = std::max<uint64_t>(live / count, 1);
    uint64_t target = (live - budget_bytes + avg - 1) / avg;
    std::unique_ptr<rocksdb::Iterator> it{
        s_.db->NewIterator(rocksdb::ReadOptions{}, s_[cf_events])};
    v1::Event ev;
    bool any = false;
    for (it->Seek(seq_key(*first)); it->Valid() && target > 0; it->Next()) {
      const uint64_t seq = get_be64(it->key().data());
      if (auto err = parse_event(it->value(), seq, ev))
        return err;
      if (!take())
        break;
      --target;
      any = true;
      if (seq >= policy_.hold_from_seq)
        result_.forced.push_back(ev);
      del_.add(std::move(ev), it->value().size());
      ev = v1::Event{};
      if (del_.size() >= chunk_events || target == 0) {
        if (auto err = del_.commit())
          return err;
        auto now_live = estimate_live_bytes(s_);
        if (!now_live)
          return std::move(now_live.error());
        if (*now_live <= budget_bytes)
          break;
      }
    }
    if (auto err = to_error(it->status(), "retention scan"))
      return err;
    if (auto err = del_.commit())
      return err;
    return any;
  }

public:
  /// See event_store::estimated_live_bytes.
  static caf::expected<uint64_t> estimate_live_bytes(event_store::impl& s);

private:
  event_store::impl& s_;
  const retention_policy& policy_;
  int64_t now_;
  size_t budget_;
  retention_result result_;
  deleter del_;
};

caf::expected<uint64_t> expire_run::estimate_live_bytes(event_store::impl& s) {
  rocksdb::SizeApproximationOptions opts;
  opts.include_memtables = true;
  opts.include_files = true;
  const std::string lowest;
  const std::string highest = "\xff"; // above every key of every CF
  auto size_of = [&](cf_id cf, const std::string& from,
                     uint64_t& out) -> caf::error {
    rocksdb::Range range{from, highest};
    return to_error(s.db->GetApproximateSizes(opts, s[cf], &range, 1, &out),
                    "estimate size");
  };
  uint64_t total = 0;
  uint64_t events_all = 0;
  for (size_t cf = 0; cf < cf_count; ++cf) {
    uint64_t n = 0;
    if (auto err = size_of(static_cast<cf_id>(cf), lowest, n))
      return err;
    total += n;
    if (cf == cf_events)
      events_all = n;
  }
  auto first = lowest_seq(s);
  if (!first)
    return std::move(first.error());
  if (*first == 0)
    return uint64_t{0}; // no events: nothing retention could free
  uint64_t events_live = 0;
  if (auto err = size_of(cf_events, seq_key(*first), events_live))
    return err;
  if (events_all == 0 || events_live >= events_all)
    return total;
  // The other column families hold about the same dead share as `events`:
  // every deletion removes an event with all its keys.
  const double live_share =
      static_cast<double>(events_live) / static_cast<double>(events_all);
  return static_cast<uint64_t>(static_cast<double>(total) * live_share);
}

} // namespace

caf::expected<retention_result>
event_store::expire(const retention_policy& policy, int64_t now_ns,
                    size_t max_events) {
  if (auto err = validate(policy))
    return err;
  std::shared_lock life{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  std::lock_guard guard{impl_->retention_mtx};
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  if (policy.keeps_everything() || max_events == 0)
    return retention_result{};
  return expire_run{*impl_, policy, now_ns, max_events}.run();
}

caf::expected<uint64_t> event_store::estimated_live_bytes() const {
  std::shared_lock life{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  return expire_run::estimate_live_bytes(*impl_);
}

caf::error event_store::flush() {
  std::shared_lock life{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(impl_->cf.begin(),
                                                impl_->cf.end());
  return to_error(impl_->db->Flush(rocksdb::FlushOptions{}, cfs), "flush");
}

} // namespace herald::storage
