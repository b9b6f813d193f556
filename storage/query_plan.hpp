#pragma once

// Query planning and the seq streams a plan is made of. Storage-internal:
// this header includes RocksDB and must not be included outside storage/.
//
// A plan is a tree of streams that each yield seqs in scan order (ascending,
// or descending for desc queries), all reading one snapshot:
//
//   posting_stream    one idx range (type, value): a literal name, source,
//                     tenant, user or scope prefix, every seq of its
//                     postings
//   merge_stream      k-way merge of index streams (a wildcard name expanded
//                     through the name catalog)
//   zone_stream       every seq of the zone-map blocks whose [min, max] event
//                     time overlaps [since, until); a skip list, never the
//                     only stream
//   events_stream     the events CF itself (when no index applies)
//   intersect_stream  leapfrog AND of the above: every child seeks to the
//                     furthest child's seq until all agree
//
// The plan yields candidates; the caller fetches, decodes and refines each
// one against every predicate, so streams may over-approximate (zones do)
// but never miss a match.
//
// Thread-safety: a plan and its streams belong to one query on one thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <rocksdb/db.h>

#include "storage/event_index.hpp"
#include "storage/event_store.hpp"

namespace herald::storage {

/// Work done by one query, shared by the caller and the streams that can
/// skip without yielding (intersections).
struct scan_meter {
  size_t used = 0;
  size_t limit = 0;
  bool exhausted() const noexcept { return used >= limit; }
};

/// A stream of seqs in scan order.
class seq_stream {
public:
  explicit seq_stream(bool descending) : desc_(descending) {}
  virtual ~seq_stream() = default;
  seq_stream(const seq_stream&) = delete;
  seq_stream& operator=(const seq_stream&) = delete;

  /// Positions at the first seq at or after `target` in scan order (>= when
  /// ascending, <= when descending).
  virtual void seek(uint64_t target) = 0;
  /// Moves past the current seq. Precondition: valid().
  virtual void next() = 0;
  /// The first storage error met (the stream is then at its end).
  virtual caf::error status() const = 0;

  bool valid() const noexcept { return state_ == state::valid; }
  /// Stopped early because the scan meter ran out: no seq before seq() in
  /// scan order remains (seq() is the frontier).
  bool suspended() const noexcept { return state_ == state::suspended; }
  bool at_end() const noexcept { return state_ == state::end; }
  uint64_t seq() const noexcept { return seq_; }
  bool descending() const noexcept { return desc_; }

  /// `a` comes before `b` in scan order.
  bool before(uint64_t a, uint64_t b) const noexcept {
    return desc_ ? a > b : a < b;
  }

protected:
  enum class state { valid, end, suspended };
  void set_valid(uint64_t s) noexcept {
    state_ = state::valid;
    seq_ = s;
  }
  void set_end() noexcept { state_ = state::end; }
  void set_suspended(uint64_t frontier) noexcept {
    state_ = state::suspended;
    seq_ = frontier;
  }

  bool desc_;

private:
  state state_ = state::end;
  uint64_t seq_ = 0;
};

/// The seq after `s` in scan order; false when there is none.
bool step_seq(bool descending, uint64_t s, uint64_t& out) noexcept;

/// A RocksDB iterator over [lower, upper) of one column family at one
/// snapshot (an empty bound: unbounded). Holds the bounds the iterator
/// points into: not copyable or movable.
struct bounded_iterator {
  bounded_iterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                   const rocksdb::Snapshot* snap, std::string lower,
                   std::string upper);
  bounded_iterator(const bounded_iterator&) = delete;
  bounded_iterator& operator=(const bounded_iterator&) = delete;

  std::string lower;
  std::string upper;
  rocksdb::Slice lower_slice;
  rocksdb::Slice upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;
};

/// A RocksDB iterator over a key range of one column family whose keys end
/// in a big-endian seq.
class iterator_stream : public seq_stream {
public:
  /// `prefix` is prepended to the seq for seeks; keys outside
  /// [lower, upper) are not visited (empty upper: unbounded).
  iterator_stream(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                  const rocksdb::Snapshot* snap, bool descending,
                  std::string prefix, std::string upper);

  void seek(uint64_t target) override;
  void next() override;
  caf::error status() const override;

  /// The current entry's value. Precondition: valid().
  rocksdb::Slice value() const { return range_.it->value(); }

private:
  void load();

  bounded_iterator range_; ///< lower bound = the seek prefix
  std::string key_;
  caf::error err_;
};

/// The seqs of one idx range's postings (event_index.hpp), in scan order.
class posting_stream : public seq_stream {
public:
  /// `prefix`: type . esc(value) . 0x00; entries at or above `upper` are
  /// not visited.
  posting_stream(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                 const rocksdb::Snapshot* snap, bool descending,
                 std::string prefix, std::string upper);
  void seek(uint64_t target) override;
  void next() override;
  caf::error status() const override;

private:
  /// Decodes the iterator's entry into seqs_; false (and the stream at its
  /// end) when there is none or it is malformed.
  bool load_entry();
  /// Positions at the first seq of seqs_ at or after `target` in scan
  /// order; false when there is none.
  bool position(uint64_t target);
  /// Moves to the next entry in scan order and its first seq in scan order.
  void step_entry();

  bounded_iterator range_; ///< lower bound = the value's prefix
  std::string key_;
  std::vector<uint64_t> seqs_; ///< the current posting's seqs, ascending
  size_t pos_ = 0;             ///< seqs_[pos_] is seq() while valid
  caf::error err_;
};

/// Seqs of zone blocks that may hold events in [since, until).
class zone_stream : public seq_stream {
public:
  zone_stream(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
              const rocksdb::Snapshot* snap, bool descending,
              uint32_t zone_shift, std::optional<int64_t> since,
              std::optional<int64_t> until);

  void seek(uint64_t target) override;
  void next() override;
  caf::error status() const override;

private:
  bool overlaps(const zone_range& z) const noexcept;

  uint32_t shift_;
  std::optional<int64_t> since_;
  std::optional<int64_t> until_;
  bool have_block_ = false;
  uint64_t block_ = 0; ///< the overlapping block the stream is in
  std::unique_ptr<rocksdb::Iterator> it_;
  caf::error err_;
};

/// Union (k-way merge by seq) of disjoint streams.
class merge_stream : public seq_stream {
public:
  merge_stream(bool descending,
               std::vector<std::unique_ptr<seq_stream>> children);

  void seek(uint64_t target) override;
  void next() override;
  caf::error status() const override;

private:
  void update();
  bool heap_less(const seq_stream* a, const seq_stream* b) const noexcept;

  std::vector<std::unique_ptr<seq_stream>> children_;
  std::vector<seq_stream*> heap_;
};

/// Intersection (leapfrog) of streams that never suspend themselves. May
/// suspend when `meter` runs out while skipping.
class intersect_stream : public seq_stream {
public:
  intersect_stream(bool descending,
                   std::vector<std::unique_ptr<seq_stream>> children,
                   scan_meter* meter);

  void seek(uint64_t target) override;
  void next() override;
  caf::error status() const override;

private:
  void align();

  std::vector<std::unique_ptr<seq_stream>> children_;
  scan_meter* meter_;
};

/// A planned query: the root stream, and the events stream when the plan
/// walks the events CF (its value is then the candidate event).
struct query_plan {
  std::unique_ptr<seq_stream> root; ///< null: provably no result
  iterator_stream* events = nullptr;
};

/// Inputs of the planner besides the query.
struct plan_context {
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* events_cf = nullptr;
  rocksdb::ColumnFamilyHandle* idx_cf = nullptr;
  rocksdb::ColumnFamilyHandle* zones_cf = nullptr;
  const rocksdb::Snapshot* snapshot = nullptr;
  uint32_t zone_shift = default_zone_shift;
  /// The literal names whose index ranges are merged for the name
  /// predicate: the name itself when literal, a wildcard's expansion through
  /// the catalog (empty: provably no result); null when there is no name
  /// predicate or it only refines (a wildcard matching too many names).
  const std::vector<std::string>* name_values = nullptr;
  scan_meter* meter = nullptr;
};

/// Most names a wildcard pattern is expanded to before it only refines.
inline constexpr size_t max_expanded_names = 64;

/// Builds the stream tree for `q` (see the header comment).
query_plan make_query_plan(const event_query& q, const plan_context& ctx);

} // namespace herald::storage
