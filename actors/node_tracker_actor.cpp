#include "actors/node_tracker_actor.hpp"

#include <chrono>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/cluster/membership_table.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

namespace {

using json = nlohmann::json;

constexpr size_t max_objects_listed = 100;

struct known_node {
  cluster::member m;
  bool up = false;
  int64_t last_seen_ns = 0;
};

struct tracker_state {
  node_tracker_options opts;
  std::map<std::string, known_node> nodes;
  cluster::membership view;
  bool joined = false; ///< node.joined stored (or not needed)
};

using tracker_ptr = node_tracker_actor::stateful_pointer<tracker_state>;

json node_fields(const cluster::member& m) {
  return json{
      {"node", m.id}, {"address", m.caf_address}, {"http", m.http_address}};
}

void store_event(tracker_ptr self, std::string name, json data) {
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event(name, data, runtime::now_unix_ns()));
  self->request(self->state.opts.writer, std::chrono::seconds{30}, write_atom_v,
                std::move(evs))
      .then([](std::vector<protocol::publish_result>&) {},
            [name](caf::error& err) {
              spdlog::warn("cluster: cannot store {}: {}", name,
                           runtime::describe(err).message);
            });
}

void on_view(tracker_ptr self, cluster::membership& m) {
  auto& st = self->state;
  const auto now = runtime::now_unix_ns();
  const bool self_live = cluster::contains(m, st.opts.self);
  for (const auto& x : m.members) {
    auto& k = st.nodes[x.id];
    k.m = x;
    k.up = true;
    k.last_seen_ns = now;
  }
  cluster::membership_table table{st.opts.self};
  table.update(m.members);
  for (auto& [id, k] : st.nodes) {
    if (!k.up || cluster::contains(m, id))
      continue;
    k.up = false;
    k.last_seen_ns = now;
    spdlog::info("cluster: node {} left the view", id);
    // One remaining node announces it; a node that is not live itself
    // (its lease may have lapsed) says nothing about others.
    if (st.opts.announce && self_live && table.owner_of("node/" + id).local) {
      auto data = node_fields(k.m);
      data["last_seen"] = runtime::format_rfc3339(now);
      store_event(self, "node.left", std::move(data));
    }
  }
  if (self_live && !st.joined) {
    st.joined = true;
    if (st.opts.announce)
      store_event(self, "node.joined", node_fields(st.nodes[st.opts.self].m));
  }
  st.view = std::move(m);
}

std::string describe_nodes(tracker_ptr self) {
  auto& st = self->state;
  const auto now = runtime::now_unix_ns();
  cluster::membership_table table{st.opts.self};
  table.update(st.view.members);
  struct owned {
    uint64_t triggers = 0;
    uint64_t subscriptions = 0;
    json objects = json::array();
  };
  std::map<std::string, owned> owns;
  // Schedule triggers run on one node each (rendezvous hashing); event
  // triggers and subscriptions on every node, for the events it stores.
  if (auto defs = st.opts.store->list_definitions("trigger/")) {
    for (const auto& d : *defs) {
      auto doc = json::parse(d.value, nullptr, false);
      if (!doc.is_object() || doc.value("type", "") != "schedule")
        continue;
      auto who = table.owner_of(d.key);
      if (who.owner.empty())
        continue;
      auto& o = owns[who.owner];
      ++o.triggers;
      if (o.objects.size() < max_objects_listed)
        o.objects.push_back(d.key);
    }
  }
  uint64_t subscriptions = 0;
  if (auto defs = st.opts.store->list_definitions("subscription/"))
    subscriptions = defs->size();
  json list = json::array();
  for (const auto& [id, k] : st.nodes) {
    json n{{"id", id},
           {"address", k.m.caf_address},
           {"http", k.m.http_address},
           {"state", k.up ? "up" : "down"},
           {"self", id == st.opts.self},
           {"last_seen", runtime::format_rfc3339(k.up ? now : k.last_seen_ns)}};
    auto& o = owns[id];
    if (k.up)
      o.subscriptions = subscriptions;
    n["owns"] = json{{"triggers", o.triggers},
                     {"subscriptions", o.subscriptions},
                     {"objects", std::move(o.objects)}};
    list.push_back(std::move(n));
  }
  return json{{"nodes", std::move(list)}}.dump();
}

node_tracker_actor::behavior_type tracker_impl(tracker_ptr self,
                                               node_tracker_options opts) {
  self->state.opts = std::move(opts);
  // Ourselves, before any view (a node alone, or etcd slow to answer).
  cluster::member me;
  me.id = self->state.opts.self;
  self->state.nodes[me.id] = known_node{me, false, runtime::now_unix_ns()};
  self->request(self->state.opts.coordinator, std::chrono::seconds{30},
                cluster::watch_atom_v,
                caf::actor_cast<cluster::membership_listener>(self))
      .then([self](cluster::membership& m) { on_view(self, m); },
            [](caf::error& err) {
              spdlog::warn("cluster: the node tracker cannot watch the "
                           "membership: {}",
                           runtime::describe(err).message);
            });
  return {
      [self](cluster::view_atom, cluster::membership& m) { on_view(self, m); },
      [self](cluster::members_atom) { return describe_nodes(self); },
      [self](cluster::view_atom) {
        std::vector<cluster::member> down;
        for (const auto& [id, k] : self->state.nodes)
          if (!k.up && id != self->state.opts.self)
            down.push_back(k.m);
        return std::make_tuple(self->state.view, std::move(down));
      },
  };
}

} // namespace

node_tracker_actor spawn_node_tracker(caf::actor_system& sys,
                                      node_tracker_options opts) {
  return sys.spawn<caf::detached>(tracker_impl, std::move(opts));
}

} // namespace herald::actors
