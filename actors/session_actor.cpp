#include "actors/session_actor.hpp"

#include <set>
#include <string>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "runtime/errc.hpp"

namespace herald::actors {

namespace {

struct session_state {
  runtime::identity who;
  node_handles node;
  protocol::definitions_actor definitions;
  std::set<std::string> subscriptions; ///< ids subscribed through here
};

using session_pointer =
    protocol::session_actor::stateful_pointer<session_state>;

caf::error forbidden(const char* what) {
  return runtime::make_api_error(runtime::errc::forbidden, what);
}

/// The registry-wide id of this session's subscription `id`.
std::string scoped_id(session_pointer self, const std::string& id) {
  return "session/" + std::to_string(self->id()) + "/" + id;
}

protocol::session_actor::behavior_type
session_impl(session_pointer self, runtime::identity who, node_handles node,
             protocol::definitions_actor definitions) {
  auto& st = self->state;
  st.who = std::move(who);
  st.node = std::move(node);
  st.definitions = std::move(definitions);
  return {
      [self](publish_atom, std::vector<v1::Event>& events)
          -> caf::result<std::vector<protocol::publish_result>> {
        auto& st = self->state;
        if (!st.who.may("publisher"))
          return forbidden("publishing needs the publisher role");
        return self->delegate(st.node.writer, write_atom_v, std::move(events),
                              st.who);
      },
      [self](query_atom,
             protocol::event_query& q) -> caf::result<protocol::query_page> {
        auto& st = self->state;
        if (!st.who.may("reader"))
          return forbidden("reading events needs the reader role");
        return self->delegate(caf::actor_cast<reader_actor>(st.node.readers),
                              query_atom_v, std::move(q), st.who);
      },
      [self](fetch_atom, std::string& id) -> caf::result<v1::Event> {
        auto& st = self->state;
        if (!st.who.may("reader"))
          return forbidden("reading events needs the reader role");
        return self->delegate(caf::actor_cast<reader_actor>(st.node.readers),
                              fetch_atom_v, std::move(id), st.who);
      },
      [self](subscribe_atom, protocol::subscribe_spec& spec,
             protocol::subscriber_actor& to) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (!st.who.may("reader"))
          return forbidden("reading events needs the reader role");
        subscription sub;
        // Scoped to this session: an id never reaches (or replaces)
        // another caller's subscription of the same name.
        sub.id = scoped_id(self, spec.id);
        sub.name = std::move(spec.name);
        sub.scope = std::move(spec.scope);
        sub.filter = std::move(spec.filter);
        sub.queue = std::move(spec.queue);
        sub.who = st.who;
        st.subscriptions.insert(sub.id);
        return self->delegate(st.node.registry, subscribe_atom_v,
                              std::move(sub), caf::actor_cast<caf::actor>(to));
      },
      [self](unsubscribe_atom, std::string& id) {
        auto& st = self->state;
        // Only this session's own subscriptions: ids are not capabilities.
        auto scoped = scoped_id(self, id);
        if (st.subscriptions.erase(scoped) > 0)
          self->send(st.node.registry, unsubscribe_atom_v, std::move(scoped));
      },
      [self](get_atom, std::string& key) -> caf::result<protocol::definition> {
        auto& st = self->state;
        if (!st.who.is_admin())
          return forbidden("definitions need the admin role");
        return self->delegate(st.definitions, get_atom_v, std::move(key));
      },
      [self](list_atom, std::string& prefix)
          -> caf::result<std::vector<protocol::definition>> {
        auto& st = self->state;
        if (!st.who.is_admin())
          return forbidden("definitions need the admin role");
        return self->delegate(st.definitions, list_atom_v, std::move(prefix));
      },
  };
}

} // namespace

protocol::session_actor spawn_session(caf::actor_system& sys,
                                      const node_handles& node,
                                      protocol::definitions_actor definitions,
                                      runtime::identity who) {
  return sys.spawn(session_impl, std::move(who), node, std::move(definitions));
}

} // namespace herald::actors
