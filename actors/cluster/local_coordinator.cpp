#include "actors/cluster/local_coordinator.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/cluster/membership_table.hpp"
#include "runtime/errc.hpp"
#include "storage/event_store.hpp"

namespace herald::cluster {

namespace {

struct local_coordinator_state {
  static inline const char* name = "herald.local_coordinator";

  std::shared_ptr<storage::event_store> store;
  member self;
  membership_table table{std::string{}};
  std::vector<membership_listener> listeners;
};

using local_coordinator_actor =
    coordinator_actor::stateful_pointer<local_coordinator_state>;

/// The store's compare-and-set failed on the revision (not an I/O error).
bool is_revision_conflict(const caf::error& err) {
  return err.category() == caf::atom("herald") &&
         err.code() == static_cast<uint8_t>(runtime::errc::conflict);
}

caf::expected<uint64_t> commit(local_coordinator_state& st,
                               const std::string& key, uint64_t expected,
                               const std::string& value) {
  if (!st.table.self_live())
    return caf::make_error(errc::fenced,
                           "node " + st.self.id + " left the cluster");
  auto owner = st.table.owner_of(key);
  if (!owner.local)
    return caf::make_error(errc::fenced, key + " is owned by " + owner.owner);
  auto rev = st.store->commit_progress(key, expected, value);
  if (!rev && is_revision_conflict(rev.error()))
    return caf::make_error(errc::conflict,
                           runtime::describe(rev.error()).message);
  return rev;
}

coordinator_actor::behavior_type
local_coordinator(local_coordinator_actor self,
                  std::shared_ptr<storage::event_store> store,
                  local_coordinator_options opts) {
  auto& st = self->state;
  st.store = std::move(store);
  st.self = opts.self;
  st.table = membership_table{opts.self.id};
  st.table.update({opts.self});
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& ls = self->state.listeners;
    ls.erase(std::remove_if(ls.begin(), ls.end(),
                            [&](const membership_listener& l) {
                              return l.address() == msg.source;
                            }),
             ls.end());
  });
  return {
      [self](members_atom) { return self->state.table.current(); },
      [self](self_atom) { return self->state.self; },
      [self](owner_atom, const std::string& key) {
        return self->state.table.owner_of(key);
      },
      [self](watch_atom, const membership_listener& l) {
        auto& ls = self->state.listeners;
        if (l && std::find(ls.begin(), ls.end(), l) == ls.end()) {
          self->monitor(l);
          ls.push_back(l);
        }
        return self->state.table.current();
      },
      [self](unwatch_atom, const membership_listener& l) {
        auto& ls = self->state.listeners;
        auto i = std::find(ls.begin(), ls.end(), l);
        if (i != ls.end()) {
          self->demonitor(l.address());
          ls.erase(i);
        }
      },
      [self](progress_atom, const std::string& key) -> caf::result<progress> {
        auto got = self->state.store->get_progress(key);
        if (!got)
          return std::move(got.error());
        if (!*got)
          return progress{};
        return progress{std::move((*got)->value), (*got)->revision};
      },
      [self](commit_atom, const std::string& key, uint64_t expected,
             const std::string& value) -> caf::result<uint64_t> {
        return commit(self->state, key, expected, value);
      },
      [self](leave_atom) {
        auto& st = self->state;
        if (st.table.update({}))
          for (auto& l : st.listeners)
            self->send(l, view_atom::value, st.table.current());
        return st.table.current();
      },
  };
}

} // namespace

coordinator_actor
spawn_local_coordinator(caf::actor_system& sys,
                        std::shared_ptr<storage::event_store> store,
                        local_coordinator_options opts) {
  if (opts.inline_io)
    return sys.spawn(local_coordinator, std::move(store), std::move(opts));
  return sys.spawn<caf::detached>(local_coordinator, std::move(store),
                                  std::move(opts));
}

} // namespace herald::cluster
