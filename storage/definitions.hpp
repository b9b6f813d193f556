#pragma once

// Storage-internal pieces of the write path shared by append(),
// append_requests() and commit_definition(): definitions ("d/<key>" in the meta
// CF) and the source table. Includes RocksDB: not for use outside storage/.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <rocksdb/write_batch.h>

#include "storage/event_store.hpp"
#include "storage/store_impl.hpp"

namespace herald::storage {

/// A definition change being written: the request, and what checking it
/// found out (applied to the in-memory state only after the write).
struct pending_definition {
  const definition_write* change = nullptr;
  uint64_t version = 0;               ///< new version (put) or deleted version
  std::optional<bool> source_enabled; ///< for "source/<id>" puts
  /// A replicated change already applied (or older than what is stored):
  /// nothing to write.
  bool skip = false;
};

/// Sources whose setting a change earlier in the same commit decided (id →
/// enabled); consulted before the source table.
using source_overlay = std::map<std::string, bool, std::less<>>;

/// The write path with write_mtx held: events (as append()) in one
/// WriteBatch. Without `requests` the whole batch is one request by Herald
/// itself and a refusal is the call's error. With `requests` (and
/// `refused`, one slot per request), a request the store refuses fails
/// alone as append_requests() describes, its definition change included;
/// `versions` (optional) gets each request's definition_result version.
caf::expected<std::vector<append_result>>
write_locked(event_store::impl& s, std::vector<v1::Event>& events,
             const std::string& node_id, int64_t accept_time_ns,
             const std::vector<append_request>* requests = nullptr,
             std::vector<caf::error>* refused = nullptr,
             std::vector<uint64_t>* versions = nullptr);

/// source_disabled when one of the `n` events at `evs` comes from a
/// disabled source (field "/<index>/source", "/source" when n is 1), as
/// `overlay` (may be null) or else the source table says.
caf::error check_sources_locked(const event_store::impl& s,
                                const v1::Event* evs, size_t n,
                                const source_overlay* overlay = nullptr);
inline caf::error check_sources_locked(const event_store::impl& s,
                                       const std::vector<v1::Event>& events) {
  return check_sources_locked(s, events.data(), events.size());
}

/// The stored version of definition `key` (0 when absent). Errors: storage
/// errc (read failure, a malformed value).
caf::expected<uint64_t> stored_definition_version(const event_store::impl& s,
                                                  const std::string& key);

/// Checks `def.change` against `current`, the version it would change (0:
/// absent), and fills in def's version and source setting. A pure
/// function; errors are commit_definition()'s refusals (conflict,
/// not_found, invalid_field).
caf::error check_definition(uint64_t current, pending_definition& def);

/// Adds a checked change's Put or Delete to `batch`.
caf::error put_definition(const event_store::impl& s,
                          rocksdb::WriteBatch& batch,
                          const pending_definition& def);

/// After a successful write: updates the in-memory source table.
void apply_definition(event_store::impl& s, const pending_definition& def);

} // namespace herald::storage
