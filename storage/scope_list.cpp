// event_store::list_scopes: one level of the scope tree, read from the
// scope index (one entry per ancestor path of every event, so every scope
// that has a descendant also has entries of its own).
//
// Keys of the scope index are `p . scope . 0x00 . BE64(first)`. Below a
// parent `a`, the children's entries interleave with their descendants'
// and with their siblings' ("a/b\0", "a/b.x\0", "a/b/c\0"): the walk takes
// the child of the key it is at, then seeks past that child's own entries
// (child . 0x01) or, when the key is a descendant of a child already taken
// (children are taken in byte order, so: of a child not above the last
// one), past every descendant (child . '0', the byte after '/'). At most
// two seeks per child, however many events or descendants it has.

#include <algorithm>
#include <memory>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/identity.hpp"
#include "runtime/scope_path.hpp"
#include "storage/errc.hpp"
#include "storage/event_index.hpp"
#include "storage/event_store.hpp"
#include "storage/query_plan.hpp"
#include "storage/store_impl.hpp"

namespace herald::storage {

namespace {

constexpr size_t max_scope_limit = 1000;

/// `type` byte followed by `text` (scopes are validated text: the index's
/// escape leaves them unchanged).
std::string scope_key(std::string_view text) {
  std::string k(1, static_cast<char>(index_type::scope));
  k.append(text);
  return k;
}

/// Is one of the first `budget` events of `scope` visible to `who`? Adds
/// the events it read to `used`. `ro` reads the snapshot `snap`.
caf::expected<bool>
has_visible_event(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* idx_cf,
                  rocksdb::ColumnFamilyHandle* events_cf,
                  const rocksdb::Snapshot* snap, const rocksdb::ReadOptions& ro,
                  std::string_view scope, const runtime::identity& who,
                  size_t budget, size_t& used) {
  auto prefix = index_prefix(index_type::scope, scope);
  auto upper = prefix;
  upper.back() = '\x01'; // prefix ends in 0x00: the next possible prefix
  posting_stream seqs{
      db, idx_cf, snap, false, std::move(prefix), std::move(upper)};
  rocksdb::PinnableSlice value;
  v1::Event ev;
  for (seqs.seek(1); seqs.valid(); seqs.next()) {
    if (budget-- == 0)
      return false;
    ++used;
    value.Reset();
    auto st = db->Get(ro, events_cf, seq_key(seqs.seq()), &value);
    if (st.IsNotFound())
      continue; // an event being retired
    if (auto err = to_error(st, "fetch event"))
      return err;
    if (!ev.ParseFromArray(value.data(), static_cast<int>(value.size())))
      return caf::make_error(errc::corruption, "event " +
                                                   std::to_string(seqs.seq()) +
                                                   " does not decode");
    if (runtime::can_see(who, ev))
      return true;
  }
  if (auto err = seqs.status())
    return err;
  return false;
}

} // namespace

caf::expected<scope_page>
event_store::list_scopes(std::string_view parent, std::string_view after,
                         size_t limit, const runtime::identity& who,
                         scope_list_budget budget) const {
  parent = runtime::normalize_scope_prefix(parent);
  if (!parent.empty() && !runtime::is_valid_scope(parent))
    return runtime::make_api_error(
        runtime::errc::invalid_scope,
        "parent must be '/'-separated segments of [A-Za-z0-9._~@:+-]",
        "parent");
  std::string base{parent};
  if (!base.empty())
    base += '/';
  if (!after.empty() && !runtime::is_child_scope(parent, after))
    return runtime::make_api_error(
        runtime::errc::invalid_parameter,
        "after must be a scope one segment below parent", "after");

  std::shared_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return caf::make_error(errc::closed, std::string{"event store is closed"});
  auto& s = *impl_;
  limit = std::clamp<size_t>(limit, 1, max_scope_limit);
  const rocksdb::Snapshot* snap = s.db->GetSnapshot();
  snapshot_guard release{s.db.get(), snap};

  // Every key of the level starts with `p . base`; its upper bound is that
  // prefix with its last byte raised ('/' + 1, or the type byte + 1).
  const std::string level = scope_key(base);
  std::string upper = level;
  upper.back() = static_cast<char>(upper.back() + 1);
  rocksdb::Slice upper_slice{upper};
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.iterate_upper_bound = &upper_slice;
  rocksdb::ReadOptions get_opts;
  get_opts.snapshot = snap;
  std::unique_ptr<rocksdb::Iterator> it{s.db->NewIterator(ro, s[cf_idx])};

  scope_page page;
  std::string last{after};
  const bool check = !who.is_admin();
  size_t used = 0;
  it->Seek(last.empty() ? level : scope_key(last) + '\x01');
  while (it->Valid()) {
    const auto key = it->key().ToStringView();
    const auto end = key.find('\0', 1);
    if (end == std::string_view::npos || end <= level.size())
      return caf::make_error(errc::corruption, "malformed scope index key");
    const auto scope = key.substr(1, end - 1);
    const auto slash = scope.find('/', base.size());
    const auto child = scope.substr(0, slash);
    if (child <= std::string_view{last}) {
      // A descendant of a child already taken (its siblings "a/b.x" sort
      // between "a/b" and "a/b/c"): past every key under child/.
      it->Seek(scope_key(child) + '0');
      continue;
    }
    if (page.scopes.size() == limit || (check && used >= budget.per_page)) {
      page.next = last;
      break;
    }
    last = std::string{child};
    bool listed = true;
    if (check) {
      auto visible =
          has_visible_event(s.db.get(), s[cf_idx], s[cf_events], snap, get_opts,
                            last, who, budget.per_scope, used);
      if (!visible)
        return std::move(visible.error());
      listed = *visible;
    }
    if (listed)
      page.scopes.push_back(last);
    it->Seek(scope_key(last) + '\x01');
  }
  if (auto err = to_error(it->status(), "scan scopes"))
    return err;
  return page;
}

} // namespace herald::storage
