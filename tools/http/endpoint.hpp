#pragma once

// Where a server listens.

#include <cstdint>
#include <string>

namespace herald::http {

/// A host and port to bind. Port 0 = let the kernel pick one.
struct endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

} // namespace herald::http
