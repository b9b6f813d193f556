// event_store::query: runs a query plan over one snapshot, refines every
// candidate against all predicates and pages with cursors.

#include <algorithm>
#include <limits>
#include <mutex>

#include <rocksdb/perf_level.h>

#include "runtime/content_filter.hpp"
#include "runtime/query_cursor.hpp"
#include "runtime/subject.hpp"
#include "storage/errc.hpp"
#include "storage/event_store.hpp"
#include "storage/query_plan.hpp"
#include "storage/store_impl.hpp"

namespace herald::storage {

namespace {

constexpr size_t max_limit = 1000;

/// Every predicate of the query, checked on a decoded candidate.
struct refiner {
  const event_query& q;
  const runtime::identity& who;
  std::string_view scope;
  bool literal_name = false;

  bool operator()(const v1::Event& ev) const {
    if (q.name &&
        (literal_name ? ev.name() != *q.name
                      : !runtime::pattern_matches(*q.name, ev.name())))
      return false;
    if (q.source && ev.source() != *q.source)
      return false;
    if (q.tenant && ev.tenant() != *q.tenant)
      return false;
    if (q.user && ev.user() != *q.user)
      return false;
    if (q.scope && !scope_matches(scope, ev.scope()))
      return false;
    if (q.since_ns && ev.time_ns() < *q.since_ns)
      return false;
    if (q.until_ns && ev.time_ns() >= *q.until_ns)
      return false;
    if (!runtime::can_see(who, ev))
      return false;
    return !q.filter || q.filter->matches(ev);
  }
};

/// The highest seq in the snapshot (0 when empty).
caf::expected<uint64_t> snapshot_last_seq(rocksdb::DB* db,
                                          rocksdb::ColumnFamilyHandle* cf,
                                          const rocksdb::Snapshot* snap) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::unique_ptr<rocksdb::Iterator> it{db->NewIterator(ro, cf)};
  it->SeekToLast();
  if (it->Valid())
    return it->key().size() == 8 ? get_be64(it->key().data()) : 0;
  if (auto err = to_error(it->status(), "scan"))
    return err;
  return uint64_t{0};
}

} // namespace

caf::expected<query_page>
event_store::query(const event_query& q, const runtime::identity& who) const {
  std::shared_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return caf::make_error(errc::closed, std::string{"event store is closed"});
  auto& s = *impl_;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable); // see append()
  const bool desc = q.descending;
  const size_t limit = std::clamp<size_t>(q.limit, 1, max_limit);
  // The snapshot comes first: the name catalog read below then holds every
  // name the snapshot can see (append inserts a new name into the catalog
  // before its batch becomes visible). Expanding first let a batch with a
  // new name land in between: the page then silently missed its events.
  const rocksdb::Snapshot* snap = s.db->GetSnapshot();
  snapshot_guard guard{s.db.get(), snap};

  // Name: literal, a wildcard expanded through the catalog, or refine-only.
  bool literal_name = false;
  std::vector<std::string> name_values;
  bool name_indexed = false;
  if (q.name) {
    if (auto err = runtime::validate_pattern(*q.name, "name"))
      return err;
    literal_name = runtime::is_literal_pattern(*q.name);
    if (literal_name) {
      name_values.push_back(*q.name);
      name_indexed = true;
    } else if (auto names = s.names.expand(*q.name, max_expanded_names)) {
      name_values = std::move(*names);
      name_indexed = true;
    }
  }

  // Where the scan starts, from the cursor and from_seq.
  const uint64_t lower = q.from_seq.value_or(0);
  uint64_t start = desc ? std::numeric_limits<uint64_t>::max()
                        : std::max<uint64_t>(lower, 1);
  bool exhausted_cursor = false;
  if (q.after && !q.after->empty()) {
    auto cur = runtime::decode_cursor(*q.after, desc);
    if (!cur)
      return std::move(cur.error());
    uint64_t resume = 0;
    if (!step_seq(desc, cur->last_seq, resume))
      exhausted_cursor = true;
    else
      start = desc ? resume : std::max(start, resume);
  }

  query_page page;
  scan_meter meter{0, std::max<size_t>(q.scan_budget, 1)};
  plan_context ctx;
  ctx.db = s.db.get();
  ctx.events_cf = s[cf_events];
  ctx.idx_cf = s[cf_idx];
  ctx.zones_cf = s[cf_zones];
  ctx.snapshot = snap;
  ctx.zone_shift = s.zone_shift;
  ctx.name_values = name_indexed ? &name_values : nullptr;
  ctx.meter = &meter;
  auto plan = make_query_plan(q, ctx);

  const std::string scope_prefix{q.scope ? normalize_scope_prefix(*q.scope)
                                         : std::string_view{}};
  const refiner refine{q, who, scope_prefix, literal_name};
  rocksdb::ReadOptions get_opts;
  get_opts.snapshot = snap;
  rocksdb::PinnableSlice value;
  v1::Event ev;
  auto past_lower = [&](const seq_stream& st) {
    return desc && st.valid() && st.seq() < lower;
  };
  // Decodes and refines the candidate the root is at.
  auto examine = [&](uint64_t seq) -> caf::error {
    rocksdb::Slice bytes;
    if (plan.events != nullptr) {
      bytes = plan.events->value();
    } else {
      value.Reset();
      auto st = s.db->Get(get_opts, s[cf_events], seq_key(seq), &value);
      if (st.IsNotFound())
        return caf::error{}; // index entry of an event being retired
      if (auto err = to_error(st, "fetch event"))
        return err;
      bytes = value;
    }
    if (!ev.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return caf::make_error(errc::corruption, "event " + std::to_string(seq) +
                                                   " does not decode");
    if (refine(ev))
      page.events.push_back(std::move(ev));
    return caf::error{};
  };

  bool at_end = true;
  if (plan.root && !exhausted_cursor) {
    auto& root = *plan.root;
    root.seek(start);
    for (;;) {
      if (root.suspended() && !(desc && root.seq() < lower)) {
        // Every seq before the frontier is decided.
        uint64_t last = 0;
        step_seq(!desc, root.seq(), last);
        page.last_examined_seq = last;
        page.next = runtime::encode_cursor({desc, last});
        at_end = false;
        break;
      }
      if (!root.valid() || past_lower(root))
        break; // the end (a desc frontier below `lower` is one too)
      const uint64_t seq = root.seq();
      ++meter.used;
      if (auto err = examine(seq))
        return err;
      page.last_examined_seq = seq;
      if (page.events.size() == limit) {
        root.next(); // peek: is there anything left to look at?
        if ((root.valid() && !past_lower(root)) || root.suspended()) {
          page.next = runtime::encode_cursor({desc, seq});
          at_end = false;
        }
        break;
      }
      if (meter.exhausted()) {
        page.next = runtime::encode_cursor({desc, seq});
        at_end = false;
        break;
      }
      root.next();
    }
    if (auto err = root.status())
      return err;
  }
  if (at_end) {
    if (desc) {
      page.last_examined_seq = std::max<uint64_t>(lower, 1);
    } else {
      auto last = snapshot_last_seq(s.db.get(), s[cf_events], snap);
      if (!last)
        return std::move(last.error());
      page.last_examined_seq = std::max(*last, page.last_examined_seq);
    }
  }
  return page;
}

} // namespace herald::storage
