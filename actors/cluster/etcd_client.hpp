#pragma once

// A small blocking client of etcd's v3 JSON gateway (etcd 3.4, Debian
// `etcd-server`), for the etcd coordinator (DESIGN §6). Every call has a
// deadline: it is sent with a `Grpc-Timeout` header (so etcd gives up too:
// a write without quorum does not hang) and bounded on the socket. Keys and
// values are raw bytes here (base64 on the wire); int64 fields, which the
// gateway sends as strings and omits when zero, come back as numbers.
//
// Endpoints are tried in order, the last that answered first; a call that
// gets no answer from one tries the next, each with an equal share of what
// is left of the deadline. Not an actor: the coordinator calls
// it from a detached thread. Thread-safety: one call at a time per object.
//
// Errors: cluster::errc::unavailable (no endpoint answered in time, or etcd
// answered an error such as a lost quorum), runtime::errc::invalid_field
// for a malformed answer.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace herald::cluster {

/// One key as etcd stores it.
struct etcd_kv {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

/// One comparison of a transaction (etcd's Compare).
struct etcd_compare {
  enum class target { create_revision, mod_revision, version, value };
  enum class result { equal, not_equal, greater, less };
  std::string key;
  target what = target::mod_revision;
  result op = result::equal;
  int64_t number = 0; ///< for the revision and version targets
  std::string value;  ///< for target::value
};

/// One operation of a transaction branch: a put (with an optional lease), a
/// delete, or a range read of one key.
struct etcd_op {
  enum class kind { put, del, get };
  kind what = kind::put;
  std::string key;
  std::string value;
  int64_t lease = 0;

  static etcd_op put(std::string key, std::string value, int64_t lease = 0);
  static etcd_op del(std::string key);
  static etcd_op get(std::string key);
};

/// One change a watch saw.
struct etcd_event {
  bool deleted = false; ///< a delete (kv holds the key and mod_revision)
  etcd_kv kv;
};

struct etcd_txn_result {
  bool succeeded = false;
  int64_t revision = 0; ///< the store's revision after the transaction
  /// The keys the branch's get ops read, in op order (absent keys skipped).
  std::vector<etcd_kv> reads;
};

class etcd_client {
public:
  /// `endpoints`: "http://host:port" each (at least one).
  etcd_client(std::vector<std::string> endpoints,
              std::chrono::milliseconds deadline);
  ~etcd_client();
  etcd_client(const etcd_client&) = delete;
  etcd_client& operator=(const etcd_client&) = delete;

  /// Stores `value` under `key` (on `lease` when not 0); the revision.
  caf::expected<int64_t> put(const std::string& key, const std::string& value,
                             int64_t lease = 0);

  /// The key, or nullopt when absent.
  caf::expected<std::optional<etcd_kv>> get(const std::string& key);

  /// Every key starting with `prefix`, in key order, and the revision the
  /// read saw (a watch resumes after it).
  caf::expected<std::pair<std::vector<etcd_kv>, int64_t>>
  get_prefix(const std::string& prefix);

  /// Deletes `key`; how many keys were deleted (0 or 1).
  caf::expected<int64_t> del(const std::string& key);

  /// If every compare holds, runs `success`, else `failure`.
  caf::expected<etcd_txn_result> txn(const std::vector<etcd_compare>& compares,
                                     const std::vector<etcd_op>& success,
                                     const std::vector<etcd_op>& failure = {});

  /// Watches the keys starting with `prefix` from `start_revision`
  /// (inclusive; 0: from now) on the calling thread: `on_events` gets each
  /// batch of changes in revision order with the revision they bring the
  /// watcher to. Returns when `stop()` says so (asked at least every
  /// 100 ms) with no error, or with errc::unavailable when the stream
  /// breaks, no endpoint answers, or nothing (not even the watch's own
  /// answer) came for `idle_timeout`: the caller resumes from the last
  /// revision + 1. A compacted start revision is errc::conflict (read the
  /// prefix again, then watch from its revision + 1).
  caf::error watch_prefix(
      const std::string& prefix, int64_t start_revision,
      const std::function<void(std::vector<etcd_event>, int64_t)>& on_events,
      const std::function<bool()>& stop,
      std::chrono::milliseconds idle_timeout);

  /// A new lease of `ttl_s` seconds; its id.
  caf::expected<int64_t> grant(int64_t ttl_s);
  /// Renews `lease`; its remaining TTL in seconds (0: it had expired).
  caf::expected<int64_t> keep_alive(int64_t lease);
  /// Ends `lease` (its keys are deleted).
  caf::error revoke(int64_t lease);

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

/// The end of the range of keys starting with `prefix` (etcd's range_end).
std::string etcd_prefix_end(const std::string& prefix);

} // namespace herald::cluster
