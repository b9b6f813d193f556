#pragma once

// Key encoding of the audit trail's column families (storage-internal; no
// RocksDB types). Every key the store writes for an event can be recomputed
// from the stored event alone (for_each_index_key), so retention can delete a
// seq range together with its index entries.
//
//   events  BE64(seq)                              -> serialized v1::Event
//   ids     id bytes                               -> BE64(seq)
//   idx     type . esc(value) . 0x00 . BE64(first) -> posting
//   zones   BE64(seq >> zone_shift)                -> LE64(min time) LE64(max)
//   names   event name                             -> ""
//   meta    "u/" key (put_meta) | "i/" key (internal) -> value
//
// A posting lists the seqs of one value's events written by one commit:
// `first` (in the key) and, in the value, each following seq as the varint
// of its distance to the one before (so an empty value is `first` alone:
// format 1 stores, one entry per event, read as one-seq postings). One entry
// per value per commit instead of one per event: under load a commit holds
// thousands of events and few distinct names, tenants or scope ancestors,
// and every entry is a memtable insert on the committer's thread. A value's
// postings cover disjoint, increasing seq ranges (commits do), so the range
// of (type, value) read in key order yields its seqs in order. Retention
// rewrites a posting without the seqs it deletes (re-keyed when `first`
// goes; deleted when nothing is left).
//
// esc() maps 0x00 -> 0x01 0x01 and 0x01 -> 0x01 0x02, so an escaped value has
// no 0x00 and `type . esc(value) . 0x00` is a prefix of exactly that value's
// entries (values are validated text without NUL; the escape is a safety net
// that costs nothing for them). Big-endian seqs make each index range sorted
// by seq.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herald/v1/event.pb.h"
#include "runtime/scope_path.hpp"

namespace herald::storage {

/// One secondary index; the enumerator value is the key's first byte.
enum class index_type : char {
  name = 'n',
  source = 's',
  tenant = 't',
  user = 'u',
  scope = 'p', ///< one entry per ancestor path ("a", "a/b", "a/b/c")
};

/// Events per zone-map block when a store is created: 1 << 12 = 4096.
inline constexpr uint32_t default_zone_shift = 12;

/// Appends `v` as 8 big-endian bytes.
void put_be64(std::string& out, uint64_t v);

/// Reads 8 big-endian bytes at `p` (caller guarantees 8 readable bytes).
uint64_t get_be64(const char* p) noexcept;

/// The `events` key of a seq (8 bytes).
std::string seq_key(uint64_t seq);

/// Appends `type . esc(value) . 0x00`, the prefix of all entries of `value`.
void append_index_prefix(std::string& out, index_type type,
                         std::string_view value);

/// The prefix of all index entries of (`type`, `value`).
std::string index_prefix(index_type type, std::string_view value);

/// The seq of an index entry (its last 8 bytes); 0 when the key is malformed.
/// For a posting: its first seq.
uint64_t index_entry_seq(std::string_view key) noexcept;

/// Appends the value of a posting holding `seqs` (strictly increasing, at
/// least one; seqs[0] is the key's `first`).
void append_posting_value(std::string& out, const uint64_t* seqs, size_t n);

/// Decodes a posting (key seq `first`, value `value`) into `out` (replaced):
/// `first` and every following seq. False when the value is malformed (a
/// truncated varint, a zero or overflowing distance).
bool decode_posting(uint64_t first, std::string_view value,
                    std::vector<uint64_t>& out);

/// Zone value: the min and max event time of a block.
struct zone_range {
  int64_t min_ns = 0;
  int64_t max_ns = 0;

  void widen(int64_t t) noexcept {
    if (t < min_ns)
      min_ns = t;
    if (t > max_ns)
      max_ns = t;
  }
  /// True iff some time in [min_ns, max_ns] is in [since, until).
  bool overlaps(int64_t since, int64_t until) const noexcept {
    return max_ns >= since && min_ns < until;
  }
};

std::string encode_zone(const zone_range& z);
/// False when `v` is not a zone value.
bool decode_zone(std::string_view v, zone_range& out) noexcept;

/// Calls `f(std::string_view key)` for every idx key of `ev` (which must
/// carry its seq). `buf` is scratch space reused between calls so that the
/// write path allocates nothing per key; the view is valid during the call.
template <class F>
void for_each_index_key(const v1::Event& ev, std::string& buf, F&& f) {
  auto emit = [&](index_type type, std::string_view value) {
    buf.clear();
    append_index_prefix(buf, type, value);
    put_be64(buf, ev.seq());
    f(std::string_view{buf});
  };
  emit(index_type::name, ev.name());
  if (!ev.source().empty())
    emit(index_type::source, ev.source());
  if (!ev.tenant().empty())
    emit(index_type::tenant, ev.tenant());
  if (!ev.user().empty())
    emit(index_type::user, ev.user());
  std::string_view scope = ev.scope();
  for (size_t i = 0; i < scope.size(); ++i)
    if (scope[i] == '/' && i > 0)
      emit(index_type::scope, scope.substr(0, i));
  if (!scope.empty())
    emit(index_type::scope, scope);
}

/// A scope query value as the index holds it (runtime/scope_path.hpp).
using runtime::normalize_scope_prefix;

/// DESIGN §3 whole-segment prefix: `scope == prefix` or `scope` starts with
/// `prefix + '/'` (`prefix` normalized; empty matches everything).
bool scope_matches(std::string_view prefix, std::string_view scope) noexcept;

} // namespace herald::storage
