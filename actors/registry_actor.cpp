#include "actors/registry_actor.hpp"

#include <map>
#include <unordered_map>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <spdlog/spdlog.h>

#include "runtime/errc.hpp"

namespace herald::actors {

namespace {

struct registry_state {
  routing_table table;
  /// Local subscriber actors by actor id, while they hold a subscription.
  std::unordered_map<routing_table::owner_id, protocol::subscriber_actor>
      owners;
  /// Peer registries by node id (DESIGN §6).
  std::map<std::string, caf::actor> peer_registries;
  uint64_t last_routed_seq = 0;
  uint64_t routed_events = 0;
  uint64_t deliveries = 0;
  routing_table::route_result scratch;

  /// Forgets (and stops monitoring) an owner that holds no subscription.
  template <class Self>
  void prune_owner(Self* self, routing_table::owner_id owner) {
    if (table.owner_count(owner) > 0)
      return;
    auto i = owners.find(owner);
    if (i == owners.end())
      return;
    self->demonitor(i->second.address());
    owners.erase(i);
  }

  /// Sends each local delivery of `scratch` to its owner, then clears it.
  void dispatch() {
    for (auto& delivery : scratch.local) {
      auto i = owners.find(delivery.owner);
      if (i == owners.end())
        continue;
      ++deliveries;
      // anon_send: dispatch() runs without the actor pointer.
      caf::anon_send(i->second, deliver_atom::value,
                     std::move(delivery.events));
    }
    // scratch.peers: forwarding to peer registries (once per node) is the
    // cluster issue's; no peer registers interest before then.
    scratch.clear();
  }
};

using registry_pointer = registry_actor::stateful_pointer<registry_state>;

registry_actor::behavior_type registry_impl(registry_pointer self) {
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    auto id = msg.source.id();
    if (auto i = st.owners.find(id); i != st.owners.end()) {
      // Erased first, so nothing handed over goes back to the dead owner.
      st.owners.erase(i);
      st.table.remove_owner(id, &st.scratch);
      st.dispatch();
      return;
    }
    for (auto i = st.peer_registries.begin(); i != st.peer_registries.end();
         ++i) {
      if (i->second.address() == msg.source) {
        spdlog::info("registry: peer {} down", i->first);
        st.table.remove_peer(i->first);
        st.peer_registries.erase(i);
        return;
      }
    }
  });
  return {
      [self](subscribe_atom, subscription& sub,
             protocol::subscriber_actor& subscriber) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (!subscriber)
          return runtime::make_api_error(runtime::errc::invalid_parameter,
                                         "subscribe needs a subscriber actor",
                                         "subscriber");
        auto owner = subscriber.id();
        auto previous = st.table.owner_of(sub.id);
        st.scratch.clear();
        if (auto err = st.table.add(std::move(sub), owner, &st.scratch))
          return err;
        if (previous && *previous != owner)
          st.prune_owner(self, *previous);
        if (st.owners.emplace(owner, subscriber).second)
          self->monitor(subscriber);
        // A replaced queue member's undelivered events; they arrive before
        // the reply, and a stream actor holds such early deliveries.
        st.dispatch();
        return st.last_routed_seq;
      },
      [self](identity_atom, const std::string& id,
             const runtime::identity& who) {
        return self->state.table.set_identity(id, who);
      },
      [self](unsubscribe_atom, const std::string& id) {
        auto& st = self->state;
        auto owner = st.table.owner_of(id);
        if (!owner)
          return;
        st.table.remove(id, &st.scratch);
        st.prune_owner(self, *owner);
        st.dispatch();
      },
      [self](route_atom, const event_ptrs& events) {
        auto& st = self->state;
        if (events.empty())
          return;
        st.routed_events += events.size();
        for (auto& ev : events)
          if (ev && ev->seq() > st.last_routed_seq)
            st.last_routed_seq = ev->seq();
        st.table.route(events, st.scratch);
        st.dispatch();
      },
      [self](peer_up_atom, const std::string& node_id, caf::actor& registry) {
        auto& st = self->state;
        st.table.add_peer(node_id);
        auto& slot = st.peer_registries[node_id];
        if (slot && slot != registry)
          self->demonitor(slot);
        if (registry && slot != registry)
          self->monitor(registry);
        slot = std::move(registry);
      },
      [self](peer_down_atom, const std::string& node_id) {
        auto& st = self->state;
        st.table.remove_peer(node_id);
        if (auto i = st.peer_registries.find(node_id);
            i != st.peer_registries.end()) {
          if (i->second)
            self->demonitor(i->second.address());
          st.peer_registries.erase(i);
        }
      },
      [self](stats_atom) {
        auto& st = self->state;
        registry_stats out;
        out.local_subscriptions = st.table.size();
        out.subscribers = st.owners.size();
        out.peers = st.table.peer_count();
        out.last_routed_seq = st.last_routed_seq;
        out.routed_events = st.routed_events;
        out.deliveries = st.deliveries;
        out.queue_groups = st.table.group_count();
        out.queue_handed_over = st.table.queue_handed_over();
        out.queue_dropped = st.table.queue_dropped();
        return out;
      },
  };
}

} // namespace

registry_actor spawn_registry(caf::actor_system& sys) {
  return sys.spawn(registry_impl);
}

} // namespace herald::actors
