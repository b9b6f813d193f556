#include "storage/query_plan.hpp"

#include <algorithm>
#include <limits>

#include "storage/errc.hpp"
#include "storage/store_impl.hpp"

namespace herald::storage {

bool step_seq(bool descending, uint64_t s, uint64_t& out) noexcept {
  if (descending) {
    if (s == 0)
      return false;
    out = s - 1;
    return true;
  }
  if (s == std::numeric_limits<uint64_t>::max())
    return false;
  out = s + 1;
  return true;
}

// -- bounded_iterator ---------------------------------------------------------

bounded_iterator::bounded_iterator(rocksdb::DB* db,
                                   rocksdb::ColumnFamilyHandle* cf,
                                   const rocksdb::Snapshot* snap,
                                   std::string lower_bound,
                                   std::string upper_bound)
    : lower(std::move(lower_bound)), upper(std::move(upper_bound)) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  if (!lower.empty()) {
    lower_slice = rocksdb::Slice{lower};
    ro.iterate_lower_bound = &lower_slice;
  }
  if (!upper.empty()) {
    upper_slice = rocksdb::Slice{upper};
    ro.iterate_upper_bound = &upper_slice;
  }
  it.reset(db->NewIterator(ro, cf));
}

// -- iterator_stream ----------------------------------------------------------

iterator_stream::iterator_stream(rocksdb::DB* db,
                                 rocksdb::ColumnFamilyHandle* cf,
                                 const rocksdb::Snapshot* snap, bool descending,
                                 std::string prefix, std::string upper)
    : seq_stream(descending),
      range_(db, cf, snap, std::move(prefix), std::move(upper)) {
  key_.reserve(range_.lower.size() + 8);
}

void iterator_stream::seek(uint64_t target) {
  // Leapfrog targets are often a few entries ahead: stepping is much
  // cheaper than a fresh seek through every memtable and level.
  if (valid() && !before(target, seq())) {
    for (int i = 0; i < 4 && valid() && before(seq(), target); ++i)
      next();
    if (!valid() || !before(seq(), target))
      return;
  }
  key_.assign(range_.lower);
  put_be64(key_, target);
  if (desc_)
    range_.it->SeekForPrev(key_);
  else
    range_.it->Seek(key_);
  load();
}

void iterator_stream::next() {
  if (desc_)
    range_.it->Prev();
  else
    range_.it->Next();
  load();
}

void iterator_stream::load() {
  if (!range_.it->Valid()) {
    if (!err_)
      err_ = to_error(range_.it->status(), "scan");
    set_end();
    return;
  }
  auto k = range_.it->key();
  if (k.size() != range_.lower.size() + 8) {
    err_ = caf::make_error(errc::corruption,
                           "malformed key of size " + std::to_string(k.size()));
    set_end();
    return;
  }
  set_valid(get_be64(k.data() + range_.lower.size()));
}

caf::error iterator_stream::status() const {
  return err_;
}

// -- posting_stream -----------------------------------------------------------

posting_stream::posting_stream(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                               const rocksdb::Snapshot* snap, bool descending,
                               std::string prefix, std::string upper)
    : seq_stream(descending),
      range_(db, cf, snap, std::move(prefix), std::move(upper)) {
  key_.reserve(range_.lower.size() + 8);
}

bool posting_stream::load_entry() {
  if (!range_.it->Valid()) {
    if (!err_)
      err_ = to_error(range_.it->status(), "scan");
    set_end();
    return false;
  }
  auto k = range_.it->key();
  if (k.size() != range_.lower.size() + 8 ||
      !decode_posting(get_be64(k.data() + range_.lower.size()),
                      range_.it->value().ToStringView(), seqs_)) {
    err_ =
        caf::make_error(errc::corruption, "malformed index entry of key size " +
                                              std::to_string(k.size()));
    set_end();
    return false;
  }
  return true;
}

bool posting_stream::position(uint64_t target) {
  if (desc_) {
    auto i = std::upper_bound(seqs_.begin(), seqs_.end(), target);
    if (i == seqs_.begin())
      return false;
    pos_ = static_cast<size_t>(i - seqs_.begin()) - 1;
  } else {
    auto i = std::lower_bound(seqs_.begin(), seqs_.end(), target);
    if (i == seqs_.end())
      return false;
    pos_ = static_cast<size_t>(i - seqs_.begin());
  }
  set_valid(seqs_[pos_]);
  return true;
}

void posting_stream::step_entry() {
  if (desc_)
    range_.it->Prev();
  else
    range_.it->Next();
  if (!load_entry())
    return;
  pos_ = desc_ ? seqs_.size() - 1 : 0;
  set_valid(seqs_[pos_]);
}

void posting_stream::seek(uint64_t target) {
  // Leapfrog targets are often close ahead: inside the current posting a
  // binary search, and a few entries on, steps are much cheaper than a
  // fresh seek through every memtable and level.
  if (valid() && !before(target, seq())) {
    for (int i = 0; i < 4 && valid(); ++i) {
      if (position(target))
        return;
      step_entry();
      if (valid() && !before(seq(), target))
        return;
    }
    if (!valid())
      return;
  }
  // The entry holding `target` (or the one before it) starts at or below
  // it: the last entry whose first seq is <= target.
  key_.assign(range_.lower);
  put_be64(key_, target);
  range_.it->SeekForPrev(key_);
  if (range_.it->Valid()) {
    if (!load_entry())
      return;
    if (position(target))
      return;
    if (desc_) // every seq of the entry holding target's floor is below it
      return set_end();
    step_entry(); // every later entry starts above target
    return;
  }
  if (!range_.it->status().ok())
    return (void)load_entry();
  if (desc_)
    return set_end(); // nothing starts at or below target
  range_.it->Seek(key_);
  if (!load_entry())
    return;
  pos_ = 0;
  set_valid(seqs_[0]);
}

void posting_stream::next() {
  if (desc_ ? pos_ > 0 : pos_ + 1 < seqs_.size()) {
    desc_ ? --pos_ : ++pos_;
    set_valid(seqs_[pos_]);
    return;
  }
  step_entry();
}

caf::error posting_stream::status() const {
  return err_;
}

// -- zone_stream --------------------------------------------------------------

zone_stream::zone_stream(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                         const rocksdb::Snapshot* snap, bool descending,
                         uint32_t zone_shift, std::optional<int64_t> since,
                         std::optional<int64_t> until)
    : seq_stream(descending), shift_(zone_shift), since_(since), until_(until) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  it_.reset(db->NewIterator(ro, cf));
}

bool zone_stream::overlaps(const zone_range& z) const noexcept {
  return (!since_ || z.max_ns >= *since_) && (!until_ || z.min_ns < *until_);
}

void zone_stream::seek(uint64_t target) {
  const uint64_t block = target >> shift_;
  if (have_block_ && block == block_) {
    set_valid(target);
    return;
  }
  have_block_ = false;
  auto key = seq_key(block);
  if (desc_)
    it_->SeekForPrev(key);
  else
    it_->Seek(key);
  for (; it_->Valid(); desc_ ? it_->Prev() : it_->Next()) {
    auto k = it_->key();
    zone_range z;
    if (k.size() != 8 || !decode_zone(it_->value().ToStringView(), z)) {
      err_ = caf::make_error(errc::corruption, std::string{"bad zone entry"});
      set_end();
      return;
    }
    if (!overlaps(z))
      continue;
    const uint64_t b = get_be64(k.data());
    have_block_ = true;
    block_ = b;
    if (b == block)
      set_valid(target);
    else if (desc_)
      set_valid((b << shift_) | ((uint64_t{1} << shift_) - 1));
    else
      set_valid(b << shift_);
    return;
  }
  if (!err_)
    err_ = to_error(it_->status(), "scan zones");
  set_end();
}

void zone_stream::next() {
  uint64_t s = 0;
  if (step_seq(desc_, seq(), s))
    seek(s);
  else
    set_end();
}

caf::error zone_stream::status() const {
  return err_;
}

// -- merge_stream -------------------------------------------------------------

merge_stream::merge_stream(bool descending,
                           std::vector<std::unique_ptr<seq_stream>> children)
    : seq_stream(descending), children_(std::move(children)) {
  heap_.reserve(children_.size());
}

bool merge_stream::heap_less(const seq_stream* a,
                             const seq_stream* b) const noexcept {
  // std heaps keep the greatest element in front: "greatest" = earliest.
  return before(b->seq(), a->seq());
}

void merge_stream::seek(uint64_t target) {
  heap_.clear();
  for (auto& c : children_) {
    c->seek(target);
    if (c->valid())
      heap_.push_back(c.get());
  }
  auto cmp = [this](auto* a, auto* b) { return heap_less(a, b); };
  std::make_heap(heap_.begin(), heap_.end(), cmp);
  update();
}

void merge_stream::next() {
  auto cmp = [this](auto* a, auto* b) { return heap_less(a, b); };
  const uint64_t cur = seq();
  // Advance every child at the current seq (children are disjoint; this
  // also keeps a union of overlapping streams duplicate-free).
  while (!heap_.empty() && heap_.front()->seq() == cur) {
    std::pop_heap(heap_.begin(), heap_.end(), cmp);
    auto* c = heap_.back();
    c->next();
    if (c->valid())
      std::push_heap(heap_.begin(), heap_.end(), cmp);
    else
      heap_.pop_back();
  }
  update();
}

void merge_stream::update() {
  if (heap_.empty())
    set_end();
  else
    set_valid(heap_.front()->seq());
}

caf::error merge_stream::status() const {
  for (auto& c : children_)
    if (auto err = c->status())
      return err;
  return caf::error{};
}

// -- intersect_stream ---------------------------------------------------------

intersect_stream::intersect_stream(
    bool descending, std::vector<std::unique_ptr<seq_stream>> children,
    scan_meter* meter)
    : seq_stream(descending), children_(std::move(children)), meter_(meter) {
  // nop
}

void intersect_stream::seek(uint64_t target) {
  for (auto& c : children_) {
    c->seek(target);
    if (!c->valid()) {
      set_end();
      return;
    }
  }
  align();
}

void intersect_stream::next() {
  children_.front()->next();
  align();
}

void intersect_stream::align() {
  for (size_t rounds = 0;; ++rounds) {
    uint64_t far = 0;
    bool first = true;
    for (auto& c : children_) {
      if (!c->valid()) {
        set_end();
        return;
      }
      if (first || before(far, c->seq()))
        far = c->seq();
      first = false;
    }
    bool agree = std::all_of(children_.begin(), children_.end(),
                             [&](auto& c) { return c->seq() == far; });
    if (agree) {
      set_valid(far);
      return;
    }
    // Nothing before `far` is common to all children. Suspending only after
    // a round guarantees progress past the seek target.
    if (rounds > 0 && meter_ != nullptr && meter_->exhausted()) {
      set_suspended(far);
      return;
    }
    if (meter_ != nullptr)
      ++meter_->used;
    for (auto& c : children_)
      if (c->seq() != far)
        c->seek(far);
  }
}

caf::error intersect_stream::status() const {
  for (auto& c : children_)
    if (auto err = c->status())
      return err;
  return caf::error{};
}

// -- planner ------------------------------------------------------------------

query_plan make_query_plan(const event_query& q, const plan_context& ctx) {
  query_plan plan;
  const bool desc = q.descending;
  if (q.since_ns && q.until_ns && *q.since_ns >= *q.until_ns)
    return plan; // empty time range
  auto index = [&](index_type type, std::string_view value) {
    auto prefix = index_prefix(type, value);
    auto upper = prefix;
    upper.back() = '\x01'; // prefix ends in 0x00: the next possible prefix
    return std::make_unique<posting_stream>(ctx.db, ctx.idx_cf, ctx.snapshot,
                                            desc, std::move(prefix),
                                            std::move(upper));
  };
  std::vector<std::unique_ptr<seq_stream>> parts;
  if (ctx.name_values != nullptr) {
    const auto& names = *ctx.name_values;
    if (names.empty())
      return plan; // no stored name matches the pattern
    if (names.size() == 1) {
      parts.push_back(index(index_type::name, names.front()));
    } else {
      std::vector<std::unique_ptr<seq_stream>> alts;
      for (const auto& n : names)
        alts.push_back(index(index_type::name, n));
      parts.push_back(std::make_unique<merge_stream>(desc, std::move(alts)));
    }
  }
  // Empty values have no index entries: they only refine.
  if (q.source && !q.source->empty())
    parts.push_back(index(index_type::source, *q.source));
  if (q.tenant && !q.tenant->empty())
    parts.push_back(index(index_type::tenant, *q.tenant));
  if (q.user && !q.user->empty())
    parts.push_back(index(index_type::user, *q.user));
  if (q.scope) {
    auto prefix = normalize_scope_prefix(*q.scope);
    if (!prefix.empty())
      parts.push_back(index(index_type::scope, prefix));
  }
  if (parts.empty()) {
    auto ev =
        std::make_unique<iterator_stream>(ctx.db, ctx.events_cf, ctx.snapshot,
                                          desc, std::string{}, std::string{});
    plan.events = ev.get();
    parts.push_back(std::move(ev));
  }
  if (q.since_ns || q.until_ns)
    parts.push_back(
        std::make_unique<zone_stream>(ctx.db, ctx.zones_cf, ctx.snapshot, desc,
                                      ctx.zone_shift, q.since_ns, q.until_ns));
  if (parts.size() == 1)
    plan.root = std::move(parts.front());
  else
    plan.root =
        std::make_unique<intersect_stream>(desc, std::move(parts), ctx.meter);
  return plan;
}

} // namespace herald::storage
