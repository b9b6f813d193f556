#include "actors/cluster/type_ids.hpp"

#include <caf/actor_system_config.hpp>

namespace herald::cluster {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::herald_cluster>();
}

} // namespace herald::cluster
