#pragma once

// The values the cluster's definitions travel in (etcd_definitions): one
// change as the cluster decided it, on its way from the watch thread to
// the node's definition actor, and where to find etcd. A header of its own
// because actors/type_ids.hpp and actors/definition_actor.hpp (included
// nearly everywhere) name them: etcd_definitions.hpp can change without
// rebuilding the tree.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "herald/v1/event.pb.h"

namespace herald::cluster {

struct replicated_definition {
  std::string key;
  std::optional<std::string> value; ///< nullopt: deleted
  uint64_t revision = 0;            ///< etcd mod_revision: the version
  std::string by;                   ///< the node that accepted it
  std::vector<v1::Event> events;    ///< its events (in `by`'s trail)
};

struct etcd_definitions_options {
  std::string cluster;
  std::vector<std::string> endpoints;
  std::string self; ///< this node's id (the `by` of what it accepts)
  std::chrono::milliseconds deadline{2000};
  /// Pause before retrying after a failed read or a broken watch.
  std::chrono::milliseconds retry_every{250};
};

} // namespace herald::cluster
