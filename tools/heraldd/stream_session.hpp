#pragma once

// One WebSocket stream (`GET /api/v1/events/stream`): accepts the upgrade,
// spawns its stream actor, and writes the frames the actor leaves in the
// shared stream_sink, one text frame per event. The sink is bounded; when
// the actor finds it full it closes the sink with 1008 and the session sends
// that close. Keep-alive: Beast's WebSocket pings (timeout::suggested).

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/node.hpp"
#include "actors/stream_actor.hpp"
#include "actors/stream_sink.hpp"
#include "tools/heraldd/http_util.hpp"

namespace herald::heraldd {

class stream_session : public std::enable_shared_from_this<stream_session> {
public:
  stream_session(boost::beast::tcp_stream stream, caf::actor_system& sys,
                 actors::node_handles handles, actors::stream_spec spec,
                 size_t max_events, size_t max_bytes,
                 std::chrono::seconds idle_timeout);
  ~stream_session();

  /// Accepts the upgrade `req` and starts streaming.
  void run(http_request req);

  /// Closes the stream with 1001 (going away); used on node shutdown.
  void shutdown();

private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, size_t);
  void schedule_pump();
  void pump();
  void on_write(boost::beast::error_code ec, size_t);
  void finish();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer in_;
  caf::actor_system& sys_;
  actors::node_handles handles_;
  actors::stream_spec spec_;
  std::shared_ptr<actors::stream_sink> sink_;
  caf::actor actor_;
  std::vector<actors::stream_frame> pending_;
  size_t next_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  std::atomic<bool> pump_posted_{false};
  std::chrono::seconds idle_timeout_;
};

/// The open streams of a node, so shutdown can close them and a caller's
/// open streams can be counted. Thread-safe.
class stream_registry {
public:
  /// Makes and adds a session for `caller` unless the caller has
  /// `max_per_caller` open streams already (then returns null and `make` is
  /// not called).
  std::shared_ptr<stream_session>
  add(const std::string& caller, size_t max_per_caller,
      const std::function<std::shared_ptr<stream_session>()>& make);
  /// Closes every open stream with 1001.
  void shutdown_all();

private:
  std::mutex mtx_;
  struct entry {
    std::string caller;
    std::weak_ptr<stream_session> session;
  };
  std::vector<entry> sessions_;
};

} // namespace herald::heraldd
