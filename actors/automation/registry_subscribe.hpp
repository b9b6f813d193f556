#pragma once

// How automations listen to the trail: a registry subscription of the
// calling actor under Herald's own identity (a run's wait_for_event, a
// schedule trigger's wait_for_event, the flow actor's event triggers see
// every stored event; what they start is checked elsewhere). Deliveries
// arrive as `(deliver_atom, event_ptrs)`; the subscription ends with an
// `(unsubscribe_atom, id)` or when the actor goes down.

#include <optional>
#include <string>
#include <utility>

#include <caf/actor_cast.hpp>

#include "actors/registry_actor.hpp"
#include "actors/routing_table.hpp"
#include "runtime/content_filter.hpp"

namespace herald::automation {

/// Subscribes `self` as `id` for events matching `pattern` (nullopt: all)
/// and `filter`; `on_error` is called if the registry refuses. With
/// `cluster_wide`, events other nodes store arrive too (a wait_for_event
/// is for an event published anywhere); without, only this node's (what
/// its own trail is read for: event triggers, a subscription's wake-ups).
template <class Self, class OnError>
void subscribe_to_trail(Self* self, const actors::registry_actor& registry,
                        std::string id, std::optional<std::string> pattern,
                        std::optional<runtime::content_filter> filter,
                        OnError on_error, bool cluster_wide = false) {
  actors::subscription sub;
  sub.peer_events = cluster_wide;
  sub.id = std::move(id);
  sub.name = std::move(pattern);
  sub.filter = std::move(filter);
  sub.who = runtime::identity::anonymous_admin();
  self->request(registry, caf::infinite, actors::subscribe_atom_v,
                std::move(sub),
                caf::actor_cast<protocol::subscriber_actor>(self))
      .then([](uint64_t) {}, std::move(on_error));
}

} // namespace herald::automation
