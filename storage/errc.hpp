#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace herald::storage {

/// Failures of the storage layer itself (user-facing input errors such as a
/// bad cursor use runtime::errc). Context: a message string.
enum class errc : uint8_t {
  none = 0,
  io_error = 1,   ///< RocksDB reported an I/O error; the write did not happen
  corruption = 2, ///< on-disk data does not decode
  closed = 3,     ///< the store was closed
  busy = 4,       ///< RocksDB busy / try again
  unsupported_format = 5, ///< the directory holds a store of another format
};

std::string to_string(errc code);

} // namespace herald::storage

CAF_ERROR_CODE_ENUM(herald::storage::errc, "storage")
