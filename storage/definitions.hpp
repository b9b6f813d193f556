#pragma once

// Storage-internal pieces of the write path shared by append() and
// commit_definition(): definitions ("d/<key>" in the meta CF) and the source
// table. Includes RocksDB: not for use outside storage/.

#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <rocksdb/write_batch.h>

#include "storage/event_store.hpp"
#include "storage/store_impl.hpp"

namespace herald::storage {

/// A definition change being written: the request, and what staging it
/// found out (applied to the in-memory state only after the write).
struct pending_definition {
  const definition_write* change = nullptr;
  uint64_t version = 0;               ///< new version (put) or deleted version
  std::optional<bool> source_enabled; ///< for "source/<id>" puts
};

/// The write path with write_mtx held: events (as append()) plus an
/// optional definition change, one WriteBatch.
/// With `requests` (and `refused`, one slot per request), a request the
/// store refuses fails alone as append_requests() describes; without, the
/// whole batch is one request by Herald itself and a refusal is the call's
/// error.
caf::expected<std::vector<append_result>>
write_locked(event_store::impl& s, std::vector<v1::Event>& events,
             const std::string& node_id, int64_t accept_time_ns,
             pending_definition* def,
             const std::vector<append_request>* requests = nullptr,
             std::vector<caf::error>* refused = nullptr);

/// source_disabled when one of the `n` events at `evs` comes from a
/// disabled source (field "/<index>/source", "/source" when n is 1).
caf::error check_sources_locked(const event_store::impl& s,
                                const v1::Event* evs, size_t n);
inline caf::error check_sources_locked(const event_store::impl& s,
                                       const std::vector<v1::Event>& events) {
  return check_sources_locked(s, events.data(), events.size());
}

/// Checks the change's precondition against the stored version and adds
/// its Put/Delete to `batch`.
caf::error stage_definition(event_store::impl& s, rocksdb::WriteBatch& batch,
                            pending_definition& def);

/// After a successful write: updates the in-memory source table.
void apply_definition(event_store::impl& s, const pending_definition& def);

} // namespace herald::storage
