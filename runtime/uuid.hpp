#pragma once

#include <cstdint>
#include <string>

namespace herald::runtime {

/// A fresh RFC 9562 UUIDv7 (48-bit Unix ms timestamp, random rest, version
/// and variant bits set) in canonical lower-case 8-4-4-4-12 form. Ids from
/// one process are strictly increasing (monotonic counter within one ms).
/// Thread-safe.
std::string new_uuid_v7(int64_t unix_ns);

} // namespace herald::runtime
