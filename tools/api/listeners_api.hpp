#pragma once

// The listeners resource (DESIGN §4 "Listeners", §5 "Listener protocol"):
//
//   GET /api/v1/listeners                 the connected listeners (reader)
//                                         → {"listeners":[{"id","handles",
//                                            "ip","connected","pending"}]}
//   GET /api/v1/listeners/{listener_id}   a listener's WebSocket (publisher:
//       ?handles=a,b                      it answers actions and reports
//                                         progress); without the upgrade
//                                         its parameters are checked, then
//                                         400
//
// listener_id: 1-256 printable characters (runtime::is_valid_id), else 400
// invalid_id. handles: optional comma-separated action names, each a valid
// event name; absent or empty = handles nothing (the listener is connected
// and listed, and gets no action). Bad parameters are 400s before the
// upgrade. The hub is asked to connect the listener before the 101: an id
// that is connected already is refused with 409 conflict (field
// "listener_id").
//
// Thread-safety: handlers run concurrently on the io threads; replies come
// back from CAF threads through the reply callbacks.

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor_system.hpp>

#include "tools/api/automation_handles.hpp"
#include "tools/api/listener_session.hpp"
#include "tools/api/types.hpp"

namespace herald::api {

class listeners_api {
public:
  /// `state` outlives this. `refuse` answers a refused upgrade (the node
  /// counts refusals through it). `handles.listeners` must be set.
  listeners_api(caf::actor_system& sys, automation_handles handles,
                const api_options& opts, const node_state& state,
                http::refuse_fn refuse);

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

  /// Closes every listener connection with 1001 (going away); each tells
  /// the hub "shutdown" first. Waits (at most 1 s; not on an io thread)
  /// until every close is under way, so the io threads may be stopped
  /// right after. Connections accepted later are closed at once.
  void close_all();

private:
  void list(http::request_context& ctx, http::reply_fn reply);
  void without_upgrade(http::request_context& ctx, http::reply_fn reply);
  void open(http::request_context& ctx, boost::beast::tcp_stream stream);
  /// Keeps `s` for close_all() (or shuts it down if that already ran).
  void keep(const std::shared_ptr<listener_session>& s);

  caf::actor_system& sys_;
  automation_handles handles_;
  api_options opts_;
  const node_state& state_;
  http::refuse_fn refuse_;
  std::mutex mtx_;
  std::vector<std::weak_ptr<listener_session>> sessions_; // guarded by mtx_
  bool closed_ = false;                                   // guarded by mtx_
};

} // namespace herald::api
