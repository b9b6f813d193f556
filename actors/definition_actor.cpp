#include "actors/definition_actor.hpp"

#include <chrono>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/storage_codec.hpp"
#include "runtime/errc.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

namespace {

/// Long enough for a commit behind a full writer queue; a caller with a
/// shorter deadline gives up first.
constexpr auto commit_timeout = std::chrono::seconds{60};

struct definition_state {
  std::shared_ptr<storage::event_store> store;
  writer_actor writer;
  std::vector<definition_view_ptr> views;
};

bool follows(const definition_view& view, const std::string& key) {
  for (const auto& prefix : view.prefixes())
    if (key.compare(0, prefix.size(), prefix) == 0)
      return true;
  return false;
}

using definitions_pointer =
    protocol::definitions_actor::stateful_pointer<definition_state>;

protocol::definitions_actor::behavior_type
definitions_impl(definitions_pointer self,
                 std::shared_ptr<storage::event_store> store,
                 writer_actor writer, std::vector<definition_view_ptr> views) {
  auto& st = self->state;
  st.store = std::move(store);
  st.writer = std::move(writer);
  st.views = std::move(views);
  return {
      [self](define_atom, protocol::definition_change& change,
             std::vector<v1::Event>& events)
          -> caf::result<protocol::definition_result> {
        auto rp = self->make_response_promise<protocol::definition_result>();
        auto key = change.key;
        auto value = change.value;
        self->request(self->state.writer, commit_timeout, define_atom_v,
                      std::move(change), std::move(events))
            .then(
                [self, rp, key = std::move(key), value = std::move(value)](
                    protocol::definition_result& res) mutable {
                  std::optional<protocol::definition> now;
                  if (value)
                    now = protocol::definition{key, std::move(*value),
                                               res.version};
                  // Every view sees the change, even after one failed.
                  caf::error first_error;
                  for (auto& view : self->state.views)
                    if (follows(*view, key))
                      if (auto err = view->apply(key, now); err && !first_error)
                        first_error = std::move(err);
                  if (first_error)
                    rp.deliver(std::move(first_error));
                  else
                    rp.deliver(std::move(res));
                },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [self](get_atom,
             const std::string& key) -> caf::result<protocol::definition> {
        auto found = self->state.store->get_definition(key);
        if (!found)
          return std::move(found.error());
        if (!*found)
          return runtime::make_api_error(runtime::errc::not_found,
                                         "no definition '" + key + "'", "key");
        return to_protocol(std::move(**found));
      },
      [self](list_atom, const std::string& prefix)
          -> caf::result<std::vector<protocol::definition>> {
        auto found = self->state.store->list_definitions(prefix);
        if (!found)
          return std::move(found.error());
        std::vector<protocol::definition> out;
        out.reserve(found->size());
        for (auto& d : *found)
          out.push_back(to_protocol(std::move(d)));
        return out;
      },
      [self](sources_atom) -> std::vector<protocol::source_info> {
        auto list = self->state.store->sources();
        std::vector<protocol::source_info> out;
        out.reserve(list.size());
        for (const auto& s : list)
          out.push_back(to_protocol(s));
        return out;
      },
  };
}

} // namespace

caf::expected<protocol::definitions_actor>
spawn_definitions(caf::actor_system& sys,
                  std::shared_ptr<storage::event_store> store,
                  writer_actor writer, std::vector<definition_view_ptr> views,
                  bool inline_io) {
  for (auto& view : views) {
    std::vector<protocol::definition> defs;
    for (const auto& prefix : view->prefixes()) {
      auto found = store->list_definitions(prefix);
      if (!found)
        return std::move(found.error());
      for (auto& d : *found)
        defs.push_back(to_protocol(std::move(d)));
    }
    if (auto err = view->load(defs))
      return err;
  }
  if (inline_io)
    return sys.spawn(definitions_impl, std::move(store), std::move(writer),
                     std::move(views));
  return sys.spawn<caf::detached>(definitions_impl, std::move(store),
                                  std::move(writer), std::move(views));
}

} // namespace herald::actors
