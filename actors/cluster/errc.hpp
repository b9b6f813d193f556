#pragma once

// herald::cluster's error codes (category "cluster"). Context: a message
// string saying which key or node and why.

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace herald::cluster {

enum class errc : uint8_t {
  none = 0,
  /// This node may not commit for the key: another member owns it, or this
  /// node is no live member (it left, or its lease may have lapsed). The
  /// caller stops working on the object; nothing was written.
  fenced = 1,
  /// The key's progress moved: its revision is not the expected one
  /// (another owner committed meanwhile). Nothing was written; read the
  /// progress again before deciding anything.
  conflict = 2,
  /// The coordinator cannot answer now (etcd unreachable, a deadline
  /// passed). Nothing is known to be written; retry later.
  unavailable = 3,
};

std::string to_string(errc code);

} // namespace herald::cluster

CAF_ERROR_CODE_ENUM(herald::cluster::errc, "cluster")
