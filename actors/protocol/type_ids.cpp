#include "actors/protocol/type_ids.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/protocol/interfaces.hpp"

namespace herald::protocol {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::herald>();
  // A client sends its subscriber's typed handle in a subscribe request
  // across the node port; CAF 0.17 serialises a typed handle only under a
  // registered name. Outside the block so no type ID moves.
  cfg.add_message_type<subscriber_actor>("herald.subscriber_actor");
}

} // namespace herald::protocol
