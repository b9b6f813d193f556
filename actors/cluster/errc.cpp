#include "actors/cluster/errc.hpp"

namespace herald::cluster {

std::string to_string(errc code) {
  switch (code) {
  case errc::none:
    return "none";
  case errc::fenced:
    return "fenced";
  case errc::conflict:
    return "conflict";
  case errc::unavailable:
    return "unavailable";
  }
  return "unknown";
}

} // namespace herald::cluster
