#pragma once

// One listener connection (`GET /api/v1/listeners/{listener_id}`, DESIGN
// §5): the Herald part of the WebSocket session. The hub has accepted the
// listener before this session exists (listeners_api asks it first, so a
// conflict is a 409 instead of an upgrade); the session sends the 101,
// writes what the hub sends (through the listener's sink actor into the
// bounded stream_sink, one text frame each) and turns the listener's text
// frames into the hub's typed messages:
//
//   {"kind":"action_done"|"action_error"|"progress",…}  → done / progress
//   anything else (not JSON, another kind, a bad field)  → close 1007
//   a binary message → 1003; a message over 64 KiB → 1009 (http layer)
//
// When the session ends it tells the hub once, then stops the sink actor
// (so the hub sees this reason, not the sink's down message). Reasons:
// "closed by listener" (its close frame), "slow_consumer" (the sink
// overflowed: 1008), "shutdown" (node shutdown: 1001), "invalid frame"
// (1007), "binary message" (1003), "message too big" (1009), the hub's own
// close reason, or "connection lost".
//
// Thread-safety: run() once; shutdown() from any thread; the rest runs on
// the session's strand.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/beast/core/tcp_stream.hpp>
#include <caf/actor_system.hpp>

#include "actors/automation/listener_hub.hpp"
#include "actors/stream_sink.hpp"
#include "tools/http/websocket_session.hpp"

namespace herald::api {

class listener_session : public http::websocket_session {
public:
  /// `sink_actor` writes into `sink`; the hub has connected listener `id`
  /// with it. The session owns the sink actor from now on.
  listener_session(boost::beast::tcp_stream stream,
                   automation::listener_hub_actor hub, std::string id,
                   std::shared_ptr<actors::stream_sink> sink,
                   automation::listener_sink_actor sink_actor,
                   std::chrono::seconds idle_timeout);
  ~listener_session() override;

  /// Accepts the upgrade `req`; then serves the listener.
  void run(http::http_request req);

  /// Node shutdown: tells the hub ("shutdown") and closes with 1001 after
  /// the frames queued. `started` (if set) is called on the strand once the
  /// close is under way (the close frame is being written), or once the
  /// session is found ended. Any thread.
  void shutdown(std::function<void()> started = {});

private:
  void on_text(std::string text) override;
  void on_stop() override;
  /// Tells the hub the listener is gone (once) and stops the sink actor.
  void report(const std::string& reason);
  /// Why the session ended, from how it ended.
  std::string end_reason() const;

  automation::listener_hub_actor hub_;
  std::string id_;
  automation::listener_sink_actor sink_actor_;
  /// Set by the session itself before it ends the connection (strand).
  std::string reason_;
  bool reported_ = false; ///< strand (and the destructor)
};

} // namespace herald::api
