#pragma once

// RFC 9562 UUID version 7 ids for events and other records.

#include <cstdint>
#include <mutex>
#include <string>

namespace herald::runtime {

/// A source of RFC 9562 UUIDv7 ids in canonical lower-case 8-4-4-4-12 form:
/// 48-bit Unix ms timestamp (negative `unix_ns` clamps to 0), a 12-bit
/// counter in rand_a, 62 random bits in rand_b, version and variant set.
///
/// Ids from one generator are strictly increasing in byte (and string)
/// order, across threads and when `unix_ns` repeats or goes backwards:
/// within one ms the counter (started at a random value below 2048) is
/// incremented; when it would overflow, or the clock steps back, the last
/// id's timestamp is reused or advanced by one ms (RFC 9562 §6.2, method 1).
/// Random bits come from a per-thread std::mt19937_64 seeded from
/// std::random_device. Thread-safe.
class uuid_v7_generator {
public:
  /// The next id for wall-clock time `unix_ns`.
  std::string next(int64_t unix_ns);

private:
  std::mutex mtx_;
  int64_t last_ms_ = -1;      ///< guarded by mtx_
  uint32_t last_counter_ = 0; ///< guarded by mtx_
};

/// A fresh UUIDv7 from the process-wide uuid_v7_generator: ids from one
/// process are strictly increasing. Thread-safe.
std::string new_uuid_v7(int64_t unix_ns);

} // namespace herald::runtime
