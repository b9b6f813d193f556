#pragma once

// RFC 9562 UUID version 7 ids for events and other records.

#include <cstdint>
#include <string>

namespace herald::runtime {

/// A fresh RFC 9562 UUIDv7 in canonical lower-case 8-4-4-4-12 form: 48-bit
/// Unix ms timestamp from `unix_ns` (negative clamps to 0), a 12-bit counter
/// in rand_a, 62 random bits in rand_b, version and variant bits set.
///
/// Ids from one process are strictly increasing in byte (and string) order,
/// even across threads and when `unix_ns` repeats or goes backwards: within
/// one ms the counter (started at a random value below 2048) is incremented;
/// when it would overflow, or the clock steps back, the timestamp of the
/// last id is reused or advanced by one ms (RFC 9562 §6.2, method 1).
/// Random bits come from a per-thread std::mt19937_64 seeded from
/// std::random_device. Thread-safe.
std::string new_uuid_v7(int64_t unix_ns);

} // namespace herald::runtime
