#pragma once

// One WebSocket stream (`GET /api/v1/events/stream`): the Herald part of
// the session. It spawns the stream actor and has the generic
// http::websocket_session accept the upgrade once the actor's subscription
// is acknowledged (so an event published after the 101 always reaches it,
// DESIGN §7); the actor leaves its frames in the shared, bounded
// stream_sink, which the session writes one text frame per event. When the
// actor finds the sink full it closes it with 1008 and the session sends
// that close.
//
// Streams follow their credential (DESIGN §3): the session closes with 1008
// `credential_expired` at its login token's exp, and with 1008
// `credential_revoked` when end() is called for a revoked token, a deleted
// user, a password change or a lost reader role. Such an end drops the
// frames not yet written and closes at once (the socket is torn down 1 s
// later if the close cannot be written).
//
//   spawn actor ──(subscribed)──▶ accept (101) ──▶ streaming ──▶ close
//        end()/shutdown() before the 101 close right after it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/core/tcp_stream.hpp>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/node.hpp"
#include "actors/stream_actor.hpp"
#include "actors/stream_sink.hpp"
#include "runtime/identity.hpp"
#include "tools/http/websocket_session.hpp"

namespace herald::api {

/// Close reasons of streams that end with their credential (code 1008).
inline constexpr const char* close_credential_revoked = "credential_revoked";
inline constexpr const char* close_credential_expired = "credential_expired";

class stream_session : public http::websocket_session {
public:
  /// `expires_s`: the Unix second the credential stops being valid (a login
  /// token's exp), 0 for none.
  stream_session(boost::beast::tcp_stream stream, caf::actor_system& sys,
                 actors::node_handles handles, actors::stream_spec spec,
                 size_t max_events, size_t max_bytes,
                 std::chrono::seconds idle_timeout, int64_t expires_s = 0);
  ~stream_session() override;

  /// Spawns the stream actor and accepts the upgrade `req` once the actor
  /// is subscribed; then streams.
  void run(http::http_request req);

  /// Closes the stream with 1001 (going away); used on node shutdown.
  void shutdown();

  /// The caller's groups or roles changed: the actor (and the registry)
  /// judge events by `who` from now on. `done` is called (on any thread)
  /// once that holds, or once the stream has ended; if the update fails
  /// the stream is ended (credential_revoked) rather than left with the old
  /// identity. Any thread.
  void update_identity(runtime::identity who, std::function<void()> done);

private:
  stream_session(boost::beast::tcp_stream stream, caf::actor_system& sys,
                 actors::node_handles handles, actors::stream_spec spec,
                 std::shared_ptr<actors::stream_sink> sink,
                 std::chrono::seconds idle_timeout, int64_t expires_s);

  void on_stop() override;

  caf::actor_system& sys_;
  actors::node_handles handles_;
  actors::stream_spec spec_;
  std::shared_ptr<actors::stream_sink> sink_;
  caf::actor actor_; ///< set in run(), then used on the strand only
};

/// The open streams of a node by principal (the credential's subject: a
/// user name or `token/<id>`, i.e. runtime::identity::name), so shutdown can
/// close them, a caller's open streams can be counted, and a change of a
/// credential reaches the streams opened with it. Thread-safe.
class stream_registry {
public:
  /// Adds the session `make` returns for `principal` unless the principal
  /// has `max_per_caller` open streams already (too_many_requests; `make` is
  /// not called). `make` runs under the registry's lock, so a revoke() or
  /// update_identity() for `principal` either sees the new session or
  /// happened before `make`: it re-checks the credential there and returns
  /// its error when the credential is no longer valid.
  caf::expected<std::shared_ptr<stream_session>>
  add(const std::string& principal, size_t max_per_caller,
      const std::function<caf::expected<std::shared_ptr<stream_session>>()>&
          make);

  /// Ends every open stream of `principal` with 1008 `reason`.
  void revoke(const std::string& principal, const std::string& reason);

  /// Gives every open stream of `principal` its new groups and roles;
  /// `done` is called (on any thread) once all of them apply them (or
  /// ended).
  void update_identity(const std::string& principal, runtime::identity who,
                       std::function<void()> done);

  /// Closes every open stream with 1001.
  void shutdown_all();

private:
  std::vector<std::shared_ptr<stream_session>>
  open_of(const std::string& principal);

  std::mutex mtx_;
  struct entry {
    std::string principal;
    std::weak_ptr<stream_session> session;
  };
  std::vector<entry> sessions_;
};

} // namespace herald::api
