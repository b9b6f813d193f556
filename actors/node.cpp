#include "actors/node.hpp"

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/stream_actor.hpp"
#include "runtime/errc.hpp"
#include "storage/event_store.hpp"

namespace herald::actors {

node_handles spawn_node(caf::actor_system& sys,
                        std::shared_ptr<storage::event_store> store,
                        const node_options& opts) {
  node_handles out;
  out.node_id = opts.node_id;
  out.registry = spawn_registry(
      sys, registry_options{opts.node_id, opts.peer_link, opts.peer_window});
  auto wopts = opts.writer;
  wopts.inline_io = opts.inline_io;
  if (!wopts.metrics)
    wopts.metrics = std::make_shared<writer_metrics>();
  out.metrics = wopts.metrics;
  out.streams = std::make_shared<stream_stats>();
  out.readers = spawn_readers(sys, store, opts.reader_count, opts.inline_io);
  auto ropts = opts.retention_tuning;
  ropts.policy = opts.retention;
  ropts.inline_io = opts.inline_io;
  if (!ropts.metrics)
    ropts.metrics = std::make_shared<retention_metrics>();
  out.retention_counters = ropts.metrics;
  if (!ropts.policy.keeps_everything())
    out.retention = spawn_retention(sys, store, std::move(ropts));
  out.writer = spawn_writer(sys, std::move(store), opts.node_id, out.registry,
                            std::move(wopts));
  return out;
}

void stop_node(caf::actor_system&, const node_handles& node) {
  // Writer first: it answers whatever is still queued with `unavailable`.
  if (node.writer)
    caf::anon_send_exit(node.writer, caf::exit_reason::user_shutdown);
  if (node.registry)
    caf::anon_send_exit(node.registry, caf::exit_reason::user_shutdown);
  if (node.readers)
    caf::anon_send_exit(node.readers, caf::exit_reason::user_shutdown);
  if (node.retention)
    caf::anon_send_exit(node.retention, caf::exit_reason::user_shutdown);
  if (node.definitions)
    caf::anon_send_exit(node.definitions, caf::exit_reason::user_shutdown);
}

caf::expected<std::vector<protocol::publish_result>>
publish_sync(caf::actor_system& sys, const node_handles& node,
             std::vector<v1::Event> events, std::chrono::milliseconds timeout) {
  if (!node.writer)
    return runtime::make_api_error(runtime::errc::unavailable,
                                   "node not running");
  caf::expected<std::vector<protocol::publish_result>> result{caf::error{}};
  caf::scoped_actor self{sys};
  self->request(node.writer, timeout, write_atom::value, std::move(events))
      .receive(
          [&](std::vector<protocol::publish_result>& res) {
            result = std::move(res);
          },
          [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<uint64_t> flush_sync(caf::actor_system& sys,
                                   const node_handles& node,
                                   std::chrono::milliseconds timeout) {
  if (!node.writer)
    return runtime::make_api_error(runtime::errc::unavailable,
                                   "node not running");
  caf::expected<uint64_t> result{caf::error{}};
  caf::scoped_actor self{sys};
  self->request(node.writer, timeout, flush_atom::value)
      .receive([&](uint64_t last_seq) { result = last_seq; },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace herald::actors
