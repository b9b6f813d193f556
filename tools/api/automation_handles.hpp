#pragma once

// The automation actors the API talks to (DESIGN §5): set by the daemon
// once they are spawned, before serving (node_api::set_automation).

#include "actors/automation/flow_actor.hpp"
#include "actors/automation/listener_hub.hpp"

namespace herald::api {

struct automation_handles {
  automation::flow_actor flow;
  automation::listener_hub_actor listeners;
};

} // namespace herald::api
