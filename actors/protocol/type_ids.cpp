#include "actors/protocol/type_ids.hpp"

#include <caf/actor_system_config.hpp>

namespace herald::protocol {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::herald>();
}

} // namespace herald::protocol
