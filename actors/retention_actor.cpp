#include "actors/retention_actor.hpp"

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <spdlog/spdlog.h>

#include "runtime/errc.hpp"
#include "runtime/time_format.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

namespace {

struct retention_state {
  std::shared_ptr<storage::event_store> store;
  retention_options opts;

  /// Runs expire() in chunks up to the tick budget. Returns the events
  /// deleted and whether expired events remain.
  caf::expected<std::pair<uint64_t, bool>> sweep() {
    auto& m = *opts.metrics;
    uint64_t deleted = 0;
    bool more = false;
    const size_t chunk = std::max<size_t>(opts.chunk_events, 1);
    while (deleted < opts.tick_events) {
      const size_t want = std::min<size_t>(chunk, opts.tick_events - deleted);
      if (opts.hold)
        opts.policy.hold_from_seq = opts.hold();
      auto r = store->expire(opts.policy, opts.clock(), want);
      if (!r) {
        m.failed_runs.fetch_add(1, std::memory_order_relaxed);
        return std::move(r.error());
      }
      if (!r->forced.empty() && opts.on_forced)
        opts.on_forced(std::move(r->forced));
      deleted += r->events_deleted;
      m.events_deleted.fetch_add(r->events_deleted, std::memory_order_relaxed);
      m.bytes_deleted.fetch_add(r->bytes_deleted, std::memory_order_relaxed);
      more = r->more;
      if (!more)
        break;
    }
    m.runs.fetch_add(1, std::memory_order_relaxed);
    m.last_run_unix_ns.store(opts.clock(), std::memory_order_relaxed);
    if (deleted > 0)
      spdlog::debug("retention removed {} events", deleted);
    return std::make_pair(deleted, more);
  }
};

retention_actor::behavior_type
retention_impl(retention_actor::stateful_pointer<retention_state> self,
               std::shared_ptr<storage::event_store> store,
               retention_options opts) {
  auto& st = self->state;
  st.store = std::move(store);
  st.opts = std::move(opts);
  if (!st.opts.clock)
    st.opts.clock = [] { return runtime::now_unix_ns(); };
  if (!st.opts.metrics)
    st.opts.metrics = std::make_shared<retention_metrics>();
  self->delayed_send(self, st.opts.interval, sweep_tick_atom::value);
  return {
      [self](sweep_atom) -> caf::result<uint64_t> {
        auto r = self->state.sweep();
        if (!r)
          return std::move(r.error());
        return r->first;
      },
      [self](sweep_tick_atom) {
        auto r = self->state.sweep();
        if (!r)
          spdlog::warn("retention sweep failed: {}",
                       runtime::describe(r.error()).message);
        if (r && r->second)
          self->send(self, sweep_tick_atom::value); // budget used, go on
        else
          self->delayed_send(self, self->state.opts.interval,
                             sweep_tick_atom::value);
      },
  };
}

} // namespace

retention_actor spawn_retention(caf::actor_system& sys,
                                std::shared_ptr<storage::event_store> store,
                                retention_options opts) {
  if (opts.inline_io)
    return sys.spawn(retention_impl, std::move(store), std::move(opts));
  return sys.spawn<caf::detached>(retention_impl, std::move(store),
                                  std::move(opts));
}

} // namespace herald::actors
