// Owners' progress: versioned compare-and-set values in the meta CF under
// "p/<key>", the fence the in-process coordinator (actors/cluster) commits
// a fire or a cursor through. Same shape as a definition's precondition
// (definitions.cpp), without events in the batch; several commits may share
// one WriteBatch (commit_progress_batch).

#include <map>
#include <mutex>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "runtime/errc.hpp"
#include "storage/errc.hpp"
#include "storage/event_store.hpp"
#include "storage/store_impl.hpp"

namespace herald::storage {

namespace {

std::string progress_key(std::string_view key) {
  return std::string{meta_progress_prefix}.append(key);
}

caf::error closed_error() {
  return caf::make_error(errc::closed, std::string{"event store is closed"});
}

/// Decodes "BE64 revision · value"; corruption when shorter than 8 bytes.
caf::expected<progress> decode_progress(std::string_view key,
                                        const std::string& raw) {
  if (raw.size() < 8)
    return caf::make_error(errc::corruption,
                           "malformed progress " + std::string{key});
  return progress{raw.substr(8), get_be64(raw.data())};
}

} // namespace

caf::expected<std::optional<progress>>
event_store::get_progress(const std::string& key) const {
  std::shared_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  std::string raw;
  auto st = impl_->db->Get(rocksdb::ReadOptions{}, impl_->cf[cf_meta],
                           progress_key(key), &raw);
  if (st.IsNotFound())
    return std::optional<progress>{};
  if (auto err = to_error(st, "get progress"))
    return err;
  auto p = decode_progress(key, raw);
  if (!p)
    return std::move(p.error());
  return std::optional<progress>{std::move(*p)};
}

caf::expected<uint64_t> event_store::commit_progress(const std::string& key,
                                                     uint64_t expected_revision,
                                                     const std::string& value) {
  auto res =
      commit_progress_batch({progress_write{key, expected_revision, value}});
  if (!res)
    return std::move(res.error());
  return std::move(res->front());
}

caf::expected<std::vector<caf::expected<uint64_t>>>
event_store::commit_progress_batch(const std::vector<progress_write>& writes) {
  std::vector<caf::expected<uint64_t>> out;
  out.reserve(writes.size());
  if (writes.empty())
    return out;
  std::shared_lock life{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  // The writer's lock: the reads below and the write are one step for every
  // other committer (and ordered with appends and definition changes).
  std::lock_guard writer{impl_->write_mtx};
  // Revisions as the writes before in this batch leave them.
  std::map<std::string_view, uint64_t> now;
  rocksdb::WriteBatch batch;
  bool any = false;
  std::string raw;
  std::string stored;
  for (const auto& w : writes) {
    if (w.key.empty()) {
      out.push_back(runtime::make_api_error(runtime::errc::invalid_field,
                                            "progress key is empty", "key"));
      continue;
    }
    const auto full_key = progress_key(w.key);
    auto at = now.find(w.key);
    if (at == now.end()) {
      auto st = impl_->db->Get(rocksdb::ReadOptions{}, impl_->cf[cf_meta],
                               full_key, &raw);
      uint64_t current = 0;
      if (st.ok()) {
        auto p = decode_progress(w.key, raw);
        if (!p)
          return std::move(p.error());
        current = p->revision;
      } else if (!st.IsNotFound()) {
        return to_error(st, "read progress");
      }
      at = now.emplace(w.key, current).first;
    }
    const uint64_t current = at->second;
    if (current != w.expected_revision) {
      out.push_back(runtime::make_api_error(
          runtime::errc::conflict,
          current == 0
              ? "no progress of " + w.key + " is stored, not revision " +
                    std::to_string(w.expected_revision)
              : w.key + " is at revision " + std::to_string(current) +
                    ", not " + std::to_string(w.expected_revision),
          "revision"));
      continue;
    }
    const uint64_t next = current + 1;
    stored.clear();
    stored.reserve(8 + w.value.size());
    put_be64(stored, next);
    stored += w.value;
    if (auto err = to_error(batch.Put(impl_->cf[cf_meta], full_key, stored),
                            "build write batch"))
      return err;
    at->second = next;
    out.push_back(next);
    any = true;
  }
  // One WriteBatch for every write that passed; write_opts fsyncs when the
  // store does (the same durability as definitions and events).
  if (any)
    if (auto err = to_error(impl_->db->Write(impl_->write_opts, &batch),
                            "commit progress"))
      return err;
  return out;
}

} // namespace herald::storage
