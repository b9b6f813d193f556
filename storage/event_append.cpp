// event_store::append: the write path. One WriteBatch per call holds the
// events, their ids, index entries, new catalog names and the updated zone
// entries, so a batch is stored entirely or not at all.

#include <algorithm>
#include <map>
#include <mutex>
#include <numeric>

#include <rocksdb/perf_level.h>
#include <rocksdb/write_batch.h>

#include "runtime/errc.hpp"
#include "storage/definitions.hpp"
#include "storage/errc.hpp"
#include "storage/event_store.hpp"
#include "storage/store_impl.hpp"

namespace herald::storage {

namespace {

constexpr size_t max_id_bytes = 256;
constexpr size_t max_kept_batch_bytes = 16u << 20;

/// Every event needs an id of 1-256 bytes and a name. Fields index the `n`
/// events at `evs` (a request of the commit).
caf::error validate(const v1::Event* evs, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const auto& ev = evs[i];
    if (ev.id().empty() || ev.id().size() > max_id_bytes)
      return runtime::make_api_error(runtime::errc::invalid_id,
                                     "id must be 1-256 bytes",
                                     "/" + std::to_string(i) + "/id");
    if (ev.name().empty())
      return runtime::make_api_error(runtime::errc::invalid_name,
                                     "name is required",
                                     "/" + std::to_string(i) + "/name");
  }
  return caf::error{};
}

/// 409 for an id the caller may not see: says that the id is taken, never
/// the stored event's seq or anything else about it.
caf::error hidden_id_conflict(size_t index, size_t request_size) {
  return runtime::make_api_error(
      runtime::errc::conflict,
      "id is already used by an event you cannot see; choose another id",
      request_size == 1 ? std::string{"/id"}
                        : "/" + std::to_string(index) + "/id");
}

/// For each event, the index of the first event in the batch with the same
/// id (itself when it is the first). Events whose `skip` entry is set (the
/// events of refused requests; `skip` may be empty) take part in nothing and
/// are their own first. Allocation: two vectors.
std::vector<uint32_t> first_with_same_id(const std::vector<v1::Event>& evs,
                                         const std::vector<bool>& skip) {
  std::vector<uint32_t> order;
  order.reserve(evs.size());
  for (uint32_t i = 0; i < evs.size(); ++i)
    if (skip.empty() || !skip[i])
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return evs[a].id() < evs[b].id();
  });
  std::vector<uint32_t> first(evs.size());
  std::iota(first.begin(), first.end(), 0u);
  for (size_t i = 1; i < order.size(); ++i)
    if (evs[order[i]].id() == evs[order[i - 1]].id())
      first[order[i]] = first[order[i - 1]];
  return first;
}

/// Puts the postings of the index keys collected in s.idx_keys/idx_refs
/// (event_index.hpp): sorted, each run of one value becomes one entry. In
/// key order the memtable inserts are also cheap (each lands next to the
/// one before instead of searching the skip list from the top).
void put_index_postings(event_store::impl& s, rocksdb::WriteBatch& batch,
                        rocksdb::Status& bst) {
  const char* base = s.idx_keys.data();
  auto view = [base](const std::pair<uint32_t, uint32_t>& r) {
    return std::string_view{base + r.first, r.second};
  };
  std::sort(s.idx_refs.begin(), s.idx_refs.end(),
            [&](const auto& a, const auto& b) { return view(a) < view(b); });
  std::vector<uint64_t> seqs;
  std::string value;
  for (size_t i = 0; i < s.idx_refs.size() && bst.ok();) {
    const auto first = view(s.idx_refs[i]);
    const auto prefix = first.substr(0, first.size() - 8);
    seqs.clear();
    size_t j = i;
    for (; j < s.idx_refs.size(); ++j) {
      const auto k = view(s.idx_refs[j]);
      if (k.size() != first.size() || !k.starts_with(prefix))
        break;
      const uint64_t seq = get_be64(k.data() + prefix.size());
      if (seqs.empty() || seq != seqs.back()) // one entry per event
        seqs.push_back(seq);
    }
    value.clear();
    append_posting_value(value, seqs.data(), seqs.size());
    bst =
        batch.Put(s[cf_idx], rocksdb::Slice{first.data(), first.size()}, value);
    i = j;
  }
}

caf::error batch_error(const rocksdb::Status& st) {
  return to_error(st, "build write batch");
}

} // namespace

caf::expected<std::vector<append_result>>
event_store::append(std::vector<v1::Event>& events, const std::string& node_id,
                    int64_t accept_time_ns) {
  std::shared_lock life{impl_->life_mtx};
  if (impl_->closed)
    return caf::make_error(errc::closed, std::string{"event store is closed"});
  std::lock_guard writer{impl_->write_mtx};
  return write_locked(*impl_, events, node_id, accept_time_ns);
}

caf::expected<std::vector<append_result>> event_store::append_requests(
    std::vector<v1::Event>& events, const std::vector<append_request>& requests,
    std::vector<caf::error>& refused, const std::string& node_id,
    int64_t accept_time_ns, std::vector<uint64_t>* versions) {
  size_t covered = 0;
  for (const auto& r : requests)
    covered += r.count;
  if (covered != events.size())
    return runtime::make_api_error(
        runtime::errc::internal, "append_requests: requests cover " +
                                     std::to_string(covered) + " of " +
                                     std::to_string(events.size()) + " events");
  std::shared_lock life{impl_->life_mtx};
  if (impl_->closed)
    return caf::make_error(errc::closed, std::string{"event store is closed"});
  std::lock_guard writer{impl_->write_mtx};
  return write_locked(*impl_, events, node_id, accept_time_ns, &requests,
                      &refused, versions);
}

caf::expected<definition_result> event_store::commit_definition(
    const definition_write& change, std::vector<v1::Event>& events,
    const std::string& node_id, int64_t accept_time_ns) {
  std::shared_lock life{impl_->life_mtx};
  if (impl_->closed)
    return caf::make_error(errc::closed, std::string{"event store is closed"});
  std::lock_guard writer{impl_->write_mtx};
  // One request carrying the change; its refusal is this call's error.
  const std::vector<append_request> one{
      append_request{events.size(), nullptr, &change}};
  std::vector<caf::error> refused;
  std::vector<uint64_t> versions;
  auto res = write_locked(*impl_, events, node_id, accept_time_ns, &one,
                          &refused, &versions);
  if (!res)
    return std::move(res.error());
  if (refused[0])
    return std::move(refused[0]);
  definition_result out;
  out.version = versions[0];
  out.events = std::move(*res);
  return out;
}

caf::expected<std::vector<append_result>>
write_locked(event_store::impl& s, std::vector<v1::Event>& events,
             const std::string& node_id, int64_t accept_time_ns,
             const std::vector<append_request>* requests,
             std::vector<caf::error>* refused,
             std::vector<uint64_t>* versions) {
  // RocksDB's default perf level counts every key comparison in a
  // thread-local: measurable on a write path of ~10 keys per event.
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  const size_t n = events.size();
  // Without `requests` the batch is one request by Herald itself, and a
  // refusal is the call's error.
  const append_request whole{n, nullptr, nullptr};
  const append_request* reqs = requests ? requests->data() : &whole;
  const size_t nreq = requests ? requests->size() : 1;
  std::vector<caf::error> own_refusals;
  auto& refusals = refused ? *refused : own_refusals;
  refusals.assign(nreq, caf::error{});
  if (versions)
    versions->assign(nreq, 0);
  std::vector<uint32_t> req_of(n);
  std::vector<size_t> req_begin(nreq);
  bool any_change = false;
  for (size_t r = 0, at = 0; r < nreq; at += reqs[r].count, ++r) {
    req_begin[r] = at;
    std::fill(req_of.begin() + static_cast<ptrdiff_t>(at),
              req_of.begin() + static_cast<ptrdiff_t>(at + reqs[r].count),
              static_cast<uint32_t>(r));
    any_change = any_change || reqs[r].change != nullptr;
  }
  // The stored version of every key a change touches, read once: the
  // checks below run in memory, and may run again.
  std::map<std::string_view, uint64_t> stored_versions;
  for (size_t r = 0; r < nreq; ++r) {
    const auto* change = reqs[r].change;
    if (change == nullptr || change->key.empty() ||
        stored_versions.contains(change->key))
      continue;
    auto v = stored_definition_version(s, change->key);
    if (!v)
      return std::move(v.error());
    stored_versions.emplace(change->key, *v);
  }

  bool any_refused = false;
  auto refuse = [&](size_t r, caf::error err) {
    if (!refusals[r]) {
      refusals[r] = std::move(err);
      any_refused = true;
    }
  };
  // Requests refused by the visibility rule further down: they stay
  // refused when the checks run again.
  std::vector<caf::error> hidden(nreq);
  std::vector<pending_definition> pending(nreq);
  // Every request in order, on the state the requests before it leave:
  // its events are valid and from enabled sources, then its change's
  // precondition holds (a refused request changes nothing for the next).
  auto check_requests = [&] {
    refusals.assign(nreq, caf::error{});
    any_refused = false;
    std::map<std::string_view, uint64_t> versions_now;
    source_overlay sources_now;
    for (size_t r = 0; r < nreq; ++r) {
      pending[r] = pending_definition{};
      const auto* evs = events.data() + req_begin[r];
      if (hidden[r]) {
        refuse(r, hidden[r]);
        continue;
      }
      if (auto err = validate(evs, reqs[r].count)) {
        refuse(r, std::move(err));
        continue;
      }
      if (auto err =
              check_sources_locked(s, evs, reqs[r].count, &sources_now)) {
        refuse(r, std::move(err));
        continue;
      }
      const auto* change = reqs[r].change;
      if (change == nullptr)
        continue;
      uint64_t current = 0;
      if (auto i = versions_now.find(change->key); i != versions_now.end())
        current = i->second;
      else if (auto j = stored_versions.find(change->key);
               j != stored_versions.end())
        current = j->second;
      pending[r].change = change;
      if (auto err = check_definition(current, pending[r])) {
        pending[r] = pending_definition{};
        refuse(r, std::move(err));
        continue;
      }
      versions_now[change->key] =
          pending[r].skip ? current : (change->value ? pending[r].version : 0);
      if (change->key.starts_with(source_definition_prefix))
        sources_now[change->key.substr(source_definition_prefix.size())] =
            pending[r].source_enabled.value_or(true);
    }
  };
  check_requests();
  if (!requests && any_refused)
    return std::move(refusals[0]);
  std::vector<append_result> results(n);
  if (events.empty() && !any_change)
    return results;

  // Ids already stored: one MultiGet for the whole batch.
  std::vector<rocksdb::Slice> keys(n);
  for (size_t i = 0; i < n; ++i)
    keys[i] = rocksdb::Slice{events[i].id()};
  std::vector<rocksdb::PinnableSlice> stored(n);
  std::vector<rocksdb::Status> statuses(n);
  s.db->MultiGet(rocksdb::ReadOptions{}, s[cf_ids], n, keys.data(),
                 stored.data(), statuses.data());
  std::vector<bool> skip; // events of refused requests (empty: none)
  auto mark_refused = [&] {
    skip.assign(n, false);
    for (size_t i = 0; i < n; ++i)
      skip[i] = static_cast<bool>(refusals[req_of[i]]);
  };
  std::vector<uint32_t> first;

  // Existence does not leak (DESIGN §3): a request whose id is taken by an
  // event its caller may not see is refused with no seq.
  auto restricted = [&](size_t r) {
    return reqs[r].who != nullptr && !reqs[r].who->is_admin() && !refusals[r];
  };
  // Refusing a request with a change alters the state the requests after
  // it were checked on: check them all again, keeping these refusals.
  bool recheck = false;
  auto refuse_hidden = [&](size_t r, caf::error err) {
    hidden[r] = err;
    refuse(r, std::move(err));
    recheck = recheck || reqs[r].change != nullptr;
  };
  do {
    if (recheck) {
      recheck = false;
      check_requests();
    }
    if (any_refused)
      mark_refused();
    first = first_with_same_id(events, skip);
    for (size_t i = 0; i < n; ++i) {
      const auto r = req_of[i];
      if (!restricted(r) || !statuses[i].ok())
        continue;
      if (stored[i].size() != 8)
        return caf::make_error(errc::corruption,
                               "id entry of " + events[i].id());
      rocksdb::PinnableSlice value;
      auto st = s.db->Get(rocksdb::ReadOptions{}, s[cf_events],
                          rocksdb::Slice{stored[i].data(), 8}, &value);
      v1::Event old;
      if (st.ok() &&
          !old.ParseFromArray(value.data(), static_cast<int>(value.size())))
        return caf::make_error(errc::corruption,
                               "event of id " + events[i].id());
      if (!st.ok() && !st.IsNotFound())
        return to_error(st, "look up event by id");
      // An id whose event retention is removing is as hidden as any.
      if (st.IsNotFound() || !runtime::can_see(*reqs[r].who, old))
        refuse_hidden(r, hidden_id_conflict(i - req_begin[r], reqs[r].count));
    }
    // Ids that an earlier request of this commit publishes: the same rule.
    // Refusing a request can make a later request the first publisher of
    // an id, so repeat until nothing changes (at most once per request).
    for (bool changed = true; changed && !recheck;) {
      changed = false;
      if (any_refused) {
        mark_refused();
        first = first_with_same_id(events, skip);
      }
      for (size_t i = 0; i < n; ++i) {
        const auto r = req_of[i];
        const auto f = first[i];
        if (f == i || req_of[f] == r || !restricted(r) || statuses[i].ok())
          continue;
        if (!runtime::can_see(*reqs[r].who, events[f])) {
          refuse_hidden(r, hidden_id_conflict(i - req_begin[r], reqs[r].count));
          changed = true;
        }
      }
    }
  } while (recheck);
  if (!requests && any_refused)
    return std::move(refusals[0]);
  bool any_pending = false;
  for (size_t r = 0; r < nreq; ++r)
    any_pending = any_pending || (!refusals[r] && pending[r].change);

  auto& batch = s.batch;
  batch.Clear();
  s.idx_keys.clear();
  s.idx_refs.clear();
  uint64_t next_seq = s.last_seq.load(std::memory_order_relaxed) + 1;
  std::vector<std::string> new_names;
  struct source_delta {
    uint64_t events = 0;
    uint64_t last_seq = 0;
  };
  std::map<std::string, source_delta, std::less<>> counts;
  std::vector<size_t> fresh; // indexes of the events this call stores
  fresh.reserve(n);
  // Zone of the block being filled; starts from the stored tail block.
  bool zone_open = false;
  uint64_t zone_block = 0;
  zone_range zone;
  std::string zone_value;
  rocksdb::Status bst;
  auto put_zone = [&] {
    zone_value = encode_zone(zone);
    bst = batch.Put(s[cf_zones], seq_key(zone_block), zone_value);
  };
  auto rollback = [&] {
    s.names.erase(new_names);
    for (auto i : fresh) {
      events[i].set_seq(0);
      events[i].clear_node();
      events[i].set_accept_time_ns(0);
    }
  };
  auto fail = [&](caf::error err) {
    rollback();
    return err;
  };

  for (size_t i = 0; i < n; ++i) {
    auto& ev = events[i];
    if (!skip.empty() && skip[i])
      continue; // its request was refused: nothing of it is stored
    results[i].id = ev.id();
    if (statuses[i].ok()) {
      if (stored[i].size() != 8)
        return fail(
            caf::make_error(errc::corruption, "id entry of " + ev.id()));
      results[i].seq = get_be64(stored[i].data());
      results[i].duplicate = true;
      continue;
    }
    if (!statuses[i].IsNotFound())
      return fail(to_error(statuses[i], "look up id"));
    if (first[i] != i) {
      results[i].seq = results[first[i]].seq;
      results[i].duplicate = true;
      continue;
    }
    const uint64_t seq = next_seq++;
    fresh.push_back(i);
    results[i].seq = seq;
    ev.set_seq(seq);
    ev.set_node(node_id);
    ev.set_accept_time_ns(accept_time_ns);
    char key[8];
    for (int b = 0; b < 8; ++b)
      key[b] = static_cast<char>(seq >> (56 - 8 * b));
    const rocksdb::Slice seq_slice{key, 8};
    if (!ev.source().empty()) {
      auto& c = counts[ev.source()];
      ++c.events;
      c.last_seq = seq;
    }
    if (!ev.SerializeToString(&s.value_buf))
      return fail(caf::make_error(errc::corruption,
                                  "event " + ev.id() + " does not serialize"));
    bst = batch.Put(s[cf_events], seq_slice, s.value_buf);
    if (bst.ok())
      bst = batch.Put(s[cf_ids], ev.id(), seq_slice);
    for_each_index_key(ev, s.key_buf, [&](std::string_view k) {
      s.idx_refs.push_back({static_cast<uint32_t>(s.idx_keys.size()),
                            static_cast<uint32_t>(k.size())});
      s.idx_keys.append(k);
    });
    // Pre-insert new names so that a query whose snapshot already sees this
    // batch can never miss them; rolled back if the write fails.
    if (bst.ok() && !s.names.contains(ev.name())) {
      s.names.insert(ev.name());
      new_names.push_back(ev.name());
      bst = batch.Put(s[cf_names], ev.name(), rocksdb::Slice{});
    }
    const uint64_t block = seq >> s.zone_shift;
    const int64_t t = ev.time_ns();
    if (!zone_open || block != zone_block) {
      if (zone_open && bst.ok())
        put_zone();
      zone_open = true;
      zone_block = block;
      zone = s.has_tail_zone && s.tail_block == block ? s.tail_zone
                                                      : zone_range{t, t};
    }
    zone.widen(t);
    if (!bst.ok())
      return fail(batch_error(bst));
  }
  if (fresh.empty() && !any_pending)
    return results;
  if (!fresh.empty()) {
    put_index_postings(s, batch, bst);
    if (bst.ok())
      put_zone();
  }
  if (!bst.ok())
    return fail(batch_error(bst));
  // Source counters: the totals after this batch, in the same WriteBatch.
  std::string stat;
  {
    std::shared_lock guard{s.sources_mtx};
    for (auto& [id, d] : counts) {
      auto i = s.sources.find(id);
      uint64_t total = d.events + (i == s.sources.end() ? 0 : i->second.events);
      stat.clear();
      put_be64(stat, total);
      put_be64(stat, d.last_seq);
      put_be64(stat, static_cast<uint64_t>(accept_time_ns));
      bst = batch.Put(s[cf_meta], std::string{meta_source_prefix}.append(id),
                      stat);
      if (!bst.ok())
        return fail(batch_error(bst));
    }
  }
  // Changes after the events, in request order: two of one key apply in
  // that order in the WriteBatch, so the last one wins.
  for (size_t r = 0; r < nreq; ++r)
    if (!refusals[r] && pending[r].change)
      if (auto err = put_definition(s, batch, pending[r]))
        return fail(std::move(err));
  auto written = s.db->Write(s.write_opts, &batch);
  if (batch.GetDataSize() > max_kept_batch_bytes) {
    batch = rocksdb::WriteBatch{}; // don't keep a huge buffer forever
    s.idx_keys = std::string{};
    s.idx_refs = {};
  }
  if (auto err = to_error(written, "append"))
    return fail(std::move(err));
  if (!fresh.empty()) {
    s.has_tail_zone = true;
    s.tail_block = zone_block;
    s.tail_zone = zone;
    s.last_seq.store(next_seq - 1, std::memory_order_release);
  }
  if (!counts.empty()) {
    std::unique_lock guard{s.sources_mtx};
    for (auto& [id, d] : counts) {
      auto& st = s.sources[id];
      st.events += d.events;
      st.last_seq = d.last_seq;
      st.last_accept_ns = accept_time_ns;
    }
  }
  for (size_t r = 0; r < nreq; ++r) {
    if (refusals[r] || !pending[r].change)
      continue;
    apply_definition(s, pending[r]);
    if (versions)
      (*versions)[r] = pending[r].version;
  }
  return results;
}

} // namespace herald::storage
