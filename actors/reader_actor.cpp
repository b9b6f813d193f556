#include "actors/reader_actor.hpp"

#include "actors/storage_codec.hpp"

#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "runtime/errc.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

namespace {

reader_actor::behavior_type
reader_impl(reader_actor::pointer,
            std::shared_ptr<const storage::event_store> store) {
  return {
      [store](
          query_atom, protocol::event_query& q,
          const runtime::identity& who) -> caf::result<protocol::query_page> {
        auto page = store->query(to_storage(std::move(q)), who);
        if (!page)
          return std::move(page.error());
        return to_protocol(std::move(*page));
      },
      [store](fetch_atom, const std::string& id,
              const runtime::identity& who) -> caf::result<v1::Event> {
        auto found = store->get_by_id(id);
        if (!found)
          return std::move(found.error());
        if (!*found || !runtime::can_see(who, **found))
          return runtime::make_api_error(runtime::errc::not_found,
                                         "no event with id '" + id + "'", "id");
        return std::move(**found);
      },
      [store](scopes_atom, const std::string& parent, const std::string& after,
              uint32_t limit,
              const runtime::identity& who) -> caf::result<scope_listing> {
        auto page = store->list_scopes(parent, after, limit, who);
        if (!page)
          return std::move(page.error());
        return scope_listing{std::move(page->scopes), std::move(page->next)};
      },
  };
}

} // namespace

reader_actor spawn_reader(caf::actor_system& sys,
                          std::shared_ptr<const storage::event_store> store,
                          bool inline_io) {
  if (inline_io)
    return sys.spawn(reader_impl, std::move(store));
  return sys.spawn<caf::detached>(reader_impl, std::move(store));
}

caf::actor spawn_readers(caf::actor_system& sys,
                         std::shared_ptr<const storage::event_store> store,
                         size_t count, bool inline_io) {
  if (count == 0)
    count = 1;
  caf::scoped_execution_unit context{&sys};
  auto factory = [&sys, store, inline_io] {
    return caf::actor_cast<caf::actor>(spawn_reader(sys, store, inline_io));
  };
  return caf::actor_pool::make(&context, count, factory,
                               caf::actor_pool::round_robin());
}

} // namespace herald::actors
