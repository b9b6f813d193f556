#include "storage/errc.hpp"

namespace herald::storage {

std::string to_string(errc code) {
  switch (code) {
  case errc::none:
    return "none";
  case errc::io_error:
    return "io_error";
  case errc::corruption:
    return "corruption";
  case errc::closed:
    return "closed";
  case errc::busy:
    return "busy";
  case errc::unsupported_format:
    return "unsupported_format";
  }
  return "unknown";
}

} // namespace herald::storage
