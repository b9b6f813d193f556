#pragma once

// Synthetic but realistic events for the benchmarks: every event has a
// name, source, tenant, user and a 4-level scope (so every index gets
// entries) and exactly `data_bytes` bytes of serialized JSON data. The
// values are a deterministic function of the event's ordinal, so the query
// benchmark can pick predicates that match what the store holds.
//
//   source   20 services            name   <source>.<entity>.<verb> (240)
//   tenant   200  (t0000..t0199)    user   5000 (u00000..u04999)
//   scope    <area>/<env>/<app>/<version>: 8 × 3 × 20 × 5 = 2400 leaves

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "herald/v1/event.pb.h"

namespace herald::bench {

/// The attributes of the event with ordinal `n`.
struct event_shape {
  std::string name;
  std::string source;
  std::string tenant;
  std::string user;
  std::string scope;
};

/// Attributes of event `n` (deterministic: a hash of `n` picks each one).
event_shape shape_of(uint64_t n);

/// A JSON object of exactly `bytes` bytes (at least 48) of the form
/// {"k":n,"t":T,"amount":…,"note":"<pseudo-random text>"}; `t` is a
/// monotonic timestamp the live benchmark measures latency from (0 when
/// unused).
std::string data_json(uint64_t n, int64_t t, size_t bytes);

/// The event with ordinal `n` as herald.v1.Event, ready for the writer:
/// id (UUIDv7), time = now, data = data_json(n, t, data_bytes).
v1::Event make_event(uint64_t n, int64_t t, size_t data_bytes);

/// The event with ordinal `n` in native JSON for POST /api/v1/events
/// (no id: the node assigns one).
std::string make_event_json(uint64_t n, int64_t t, size_t data_bytes);

/// A JSON array of `count` events starting at ordinal `first`.
std::string make_batch_json(uint64_t first, size_t count, int64_t t,
                            size_t data_bytes);

/// Query predicates that match the generated data, spread over every
/// value: one per call, cycling deterministically with `n`.
std::string pick_scope(uint64_t n, int depth); ///< depth 1..4
std::string pick_name(uint64_t n);
std::string pick_tenant(uint64_t n);

} // namespace herald::bench
