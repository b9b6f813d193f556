#include "actors/registry_actor.hpp"

#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <spdlog/spdlog.h>

#include "actors/peer_codec.hpp"
#include "runtime/errc.hpp"

namespace herald::actors {

namespace {

using cluster::link_down_atom;
using cluster::link_recv_atom;
using cluster::link_send_atom;
using cluster::link_up_atom;

/// What a local subscription asks of peers: (pattern, principal, queue);
/// principal is empty for plain subscriptions. Only subscriptions with
/// peer_events ask.
using interest_key = std::tuple<std::string, std::string, std::string>;

interest_key interest_of(const subscription& sub) {
  return {sub.name.value_or(">"), sub.queue.empty() ? "" : sub.who.name,
          sub.queue};
}

peer_interest to_peer_interest(const interest_key& k, uint64_t count) {
  return peer_interest{std::get<0>(k), count,
                       peer_group{std::get<1>(k), std::get<2>(k)}};
}

struct registry_state {
  registry_options opts;
  routing_table table;
  /// Local subscriber actors by actor id, while they hold a subscription.
  std::unordered_map<routing_table::owner_id, protocol::subscriber_actor>
      owners;
  uint64_t last_routed_seq = 0;
  uint64_t routed_events = 0;
  uint64_t deliveries = 0;
  routing_table::route_result scratch;

  // -- peers ------------------------------------------------------------------

  /// Local interest: how many subscriptions ask for each key, and which key
  /// each subscription id holds.
  std::map<interest_key, uint64_t> interest;
  std::unordered_map<std::string, interest_key> interest_by_id;
  /// Count changes 0 -> 1 / 1 -> 0 not yet sent to the peers.
  peer_delta pending_delta;
  /// Peers that are up, with what they still have to get.
  std::map<std::string, peer_outbox> peers;
  uint64_t batches_sent = 0;
  uint64_t events_sent = 0;
  uint64_t batches_received = 0;
  uint64_t events_received = 0;
  uint64_t events_dropped = 0;
  uint64_t events_lost = 0;
  uint64_t rejected = 0;

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

  /// Sends each local delivery of `scratch` to its owner and each peer
  /// delivery to its peer's outbox, then clears it.
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
    for (auto& delivery : scratch.peers) {
      auto i = peers.find(delivery.node_id);
      if (i == peers.end())
        continue;
      send(delivery.node_id, i->second.push(delivery.events, delivery.chosen));
    }
    scratch.clear();
  }

  void send(const std::string& node, const peer_message& msg) {
    if (auto* b = std::get_if<peer_batch>(&msg)) {
      ++batches_sent;
      events_sent += b->events.size();
    }
    caf::anon_send(opts.link, link_send_atom::value, node,
                   encode_peer_message(msg));
  }

  void send(const std::string& node, peer_outbox::output out) {
    events_dropped += out.dropped;
    for (auto& msg : out.send)
      send(node, msg);
  }

  // -- local interest ---------------------------------------------------------

  void add_interest(const std::string& id, const interest_key& k) {
    interest_by_id[id] = k;
    if (interest[k]++ == 0)
      pending_delta.added.push_back(to_peer_interest(k, 1));
  }

  void remove_interest(const std::string& id) {
    auto i = interest_by_id.find(id);
    if (i == interest_by_id.end())
      return;
    auto k = std::move(i->second);
    interest_by_id.erase(i);
    remove_key(k);
  }

  void remove_key(const interest_key& k) {
    auto j = interest.find(k);
    if (j != interest.end() && --j->second == 0) {
      pending_delta.removed.push_back(to_peer_interest(j->first, 1));
      interest.erase(j);
    }
  }

  /// Sends the pending interest changes to every peer that is up.
  void flush_delta() {
    if (pending_delta.added.empty() && pending_delta.removed.empty())
      return;
    peer_message msg{std::move(pending_delta)};
    pending_delta = peer_delta{};
    for (auto& [node, outbox] : peers)
      send(node, msg);
  }

  peer_message snapshot() const {
    peer_snapshot out;
    out.entries.reserve(interest.size());
    for (auto& [k, count] : interest)
      out.entries.push_back(to_peer_interest(k, count));
    return out;
  }

  // -- peer messages ----------------------------------------------------------

  void on_peer_message(const std::string& from, peer_outbox& outbox,
                       peer_message& msg) {
    if (auto* x = std::get_if<peer_snapshot>(&msg)) {
      table.remove_peer(from);
      table.add_peer(from);
      for (auto& e : x->entries)
        add_peer_interest(from, e);
    } else if (auto* x = std::get_if<peer_delta>(&msg)) {
      for (auto& e : x->added)
        add_peer_interest(from, e);
      for (auto& e : x->removed)
        table.remove_peer_interest(from, e.pattern, group_of(e.group));
    } else if (auto* x = std::get_if<peer_batch>(&msg)) {
      ++batches_received;
      events_received += x->events.size();
      std::vector<std::vector<std::string>> chosen;
      if (!x->choices.empty()) {
        chosen.resize(x->events.size());
        for (auto& c : x->choices)
          chosen[c.event].push_back(group_of(c.group));
      }
      table.route_from_peer(x->events, chosen, scratch);
      dispatch();
      // Handed to the subscribers (their mailboxes): the window may open.
      send(from, peer_message{peer_ack{{x->batch}}});
    } else if (auto* x = std::get_if<peer_ack>(&msg)) {
      send(from, outbox.ack(x->batches));
    } else if (auto* x = std::get_if<peer_loss>(&msg)) {
      events_lost += x->count;
      spdlog::warn("registry: peer {} dropped {} events for this node (seq "
                   "{}..{})",
                   from, x->count, x->first_seq, x->last_seq);
      for (auto& [owner, id] : table.gap_subscribers(x->names, x->all_names)) {
        auto i = owners.find(owner);
        if (i == owners.end())
          continue;
        caf::anon_send(caf::actor_cast<caf::actor>(i->second), peer_gap_atom_v,
                       from, x->first_seq, x->last_seq, x->count);
      }
    }
  }

  static std::string group_of(const peer_group& g) {
    return g.queue.empty() ? std::string{}
                           : queue_group_key(g.principal, g.queue);
  }

  void add_peer_interest(const std::string& from, const peer_interest& e) {
    if (auto err = table.add_peer_interest(from, e.pattern, group_of(e.group)))
      ++rejected; // the codec validated the pattern: not expected
  }
};

using registry_pointer = registry_actor::stateful_pointer<registry_state>;

registry_actor::behavior_type registry_impl(registry_pointer self,
                                            registry_options opts) {
  self->state.opts = std::move(opts);
  if (auto& link = self->state.opts.link)
    self->send(link, cluster::link_attach_atom_v,
               caf::actor_cast<cluster::peer_endpoint>(self));
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    auto id = msg.source.id();
    if (auto i = st.owners.find(id); i != st.owners.end()) {
      // Erased first, so nothing handed over goes back to the dead owner.
      st.owners.erase(i);
      for (auto& sub_id : st.table.remove_owner(id, &st.scratch))
        st.remove_interest(sub_id);
      st.dispatch();
      st.flush_delta();
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
        auto id = sub.id;
        auto key =
            sub.peer_events ? std::optional{interest_of(sub)} : std::nullopt;
        st.scratch.clear();
        if (auto err = st.table.add(std::move(sub), owner, &st.scratch))
          return err;
        // The new interest is counted before the replaced one is dropped,
        // so a pattern both share never flaps 1 -> 0 -> 1.
        auto old = st.interest_by_id.find(id);
        if (old == st.interest_by_id.end() || !key || old->second != *key) {
          if (key) {
            auto prior = old == st.interest_by_id.end()
                             ? std::optional<interest_key>{}
                             : std::optional{old->second};
            st.add_interest(id, *key);
            if (prior)
              st.remove_key(*prior);
          } else if (old != st.interest_by_id.end()) {
            st.remove_interest(id);
          }
        }
        if (previous && *previous != owner)
          st.prune_owner(self, *previous);
        if (st.owners.emplace(owner, subscriber).second)
          self->monitor(subscriber);
        // A replaced queue member's undelivered events; they arrive before
        // the reply, and a stream actor holds such early deliveries.
        st.dispatch();
        st.flush_delta();
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
        st.remove_interest(id);
        st.prune_owner(self, *owner);
        st.dispatch();
        st.flush_delta();
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
      [self](link_up_atom, const std::string& node) {
        auto& st = self->state;
        if (auto i = st.peers.find(node); i != st.peers.end()) {
          // Not expected (up and down alternate): start fresh anyway.
          st.events_dropped += i->second.clear();
          st.peers.erase(i);
        }
        st.table.remove_peer(node);
        st.table.add_peer(node);
        st.peers.emplace(node, peer_outbox{st.opts.window});
        spdlog::info("registry {}: peer {} up", st.opts.node_id, node);
        st.send(node, st.snapshot());
      },
      [self](link_down_atom, const std::string& node) {
        auto& st = self->state;
        auto i = st.peers.find(node);
        if (i == st.peers.end())
          return;
        st.events_dropped += i->second.clear();
        st.peers.erase(i);
        st.table.remove_peer(node);
        spdlog::info("registry {}: peer {} down", st.opts.node_id, node);
      },
      [self](link_recv_atom, const std::string& from,
             const std::string& payload) {
        auto& st = self->state;
        auto i = st.peers.find(from);
        if (i == st.peers.end()) {
          ++st.rejected;
          return;
        }
        auto msg = decode_peer_message(payload);
        if (!msg) {
          ++st.rejected;
          spdlog::warn("registry {}: from peer {}: {}", st.opts.node_id, from,
                       runtime::describe(msg.error()).message);
          return;
        }
        st.on_peer_message(from, i->second, *msg);
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
        out.peer_batches_sent = st.batches_sent;
        out.peer_events_sent = st.events_sent;
        out.peer_batches_received = st.batches_received;
        out.peer_events_received = st.events_received;
        out.peer_events_dropped = st.events_dropped;
        out.peer_events_lost = st.events_lost;
        for (auto& [node, outbox] : st.peers) {
          out.peer_batches_in_flight += outbox.batches_in_flight();
          out.peer_events_in_flight += outbox.events_in_flight();
          out.peer_events_queued += outbox.queued_events();
        }
        out.peer_rejected = st.rejected;
        return out;
      },
  };
}

} // namespace

registry_actor spawn_registry(caf::actor_system& sys, registry_options opts) {
  return sys.spawn(registry_impl, std::move(opts));
}

registry_actor spawn_registry(caf::actor_system& sys) {
  return spawn_registry(sys, registry_options{});
}

} // namespace herald::actors
