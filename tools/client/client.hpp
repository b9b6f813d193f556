#pragma once

// herald::client — a remote actor client of one node (DESIGN §6 "Remote
// actor clients"; docs/CLIENT.md). It logs in on the node port with a
// credential (protocol::login_port), holds the session actor the node
// answers (bound to that identity), and sends every later request to it:
// publish, query, fetch, subscribe, definitions. Calls block the calling
// thread up to the connection's timeout (a scoped_actor inside); an error is
// a value (runtime::describe() tells its code, message and field).
//
// Links CAF core+io+openssl and actors/protocol (and runtime through it)
// only.
//
// Thread-safety: a connection may be used from several threads at once
// (each call has its own scoped_actor); a subscription's callback runs on
// one CAF thread at a time, never concurrently with itself.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/protocol/interfaces.hpp"
#include "actors/protocol/messages.hpp"
#include "actors/protocol/node_tls.hpp"

namespace herald::client {

/// Where and as whom to connect.
struct connect_options {
  std::string host = "127.0.0.1";
  uint16_t port = 8471;
  /// A service token or a login JWT (DESIGN §6 "Auth").
  std::string token;
  /// Bound of the connect, of the login, and of every later request.
  std::chrono::milliseconds timeout{5000};
  /// TLS on the node port (a node started with --node-tls-*): this
  /// client's certificate and key, signed by the CA the node trusts, and
  /// that CA, which the node's certificate must be signed by. None: plain
  /// TCP (a TLS node refuses it).
  protocol::node_tls tls;
};

/// Called with each event of a subscription, in seq order, once.
using event_callback = std::function<void(const v1::Event&)>;

/// What to subscribe to (protocol::subscribe_spec plus a resume point).
struct subscribe_options {
  std::optional<std::string> name; ///< name pattern (`*`, `>`); absent = all
  std::optional<std::string> scope;
  std::optional<std::string> filter; ///< content filter JSON (DESIGN §2)
  std::string queue;                 ///< queue group; empty = every event
  /// Replay stored events from this seq (inclusive) before live ones: pass
  /// the last seq a previous subscription saw + 1 to resume after a
  /// reconnect without a gap or a duplicate.
  std::optional<uint64_t> from_seq;
};

class connection;

/// A live subscription; ends (unsubscribes) when destroyed or cancelled.
class subscription {
public:
  subscription() = default;
  subscription(subscription&&) noexcept = default;
  subscription& operator=(subscription&&) noexcept = default;
  ~subscription();

  /// The subscription's id on the node.
  const std::string& id() const noexcept;
  /// The highest seq handed to the callback so far (0: none yet).
  uint64_t last_seq() const noexcept;
  /// Unsubscribes and stops the callback (idempotent).
  void cancel();

private:
  friend class connection;
  struct state;
  std::shared_ptr<state> state_;
};

/// One logged-in session with a node. Movable; the actor system inside ends
/// with the last copy.
class connection {
public:
  /// Connects to `opts.host:opts.port` (over TLS with `opts.tls`) and logs
  /// in with `opts.token`. Errors: runtime::errc::unauthorized (bad
  /// token), runtime::errc::unavailable (nothing answers, not a Herald
  /// node port, or the TLS handshake failed: TLS on one side only, or a
  /// certificate the other side refuses), runtime::errc::invalid_parameter
  /// (`opts.tls` incomplete or its files unusable; field "cert", "key",
  /// "ca" or "passphrase").
  static caf::expected<connection> connect(const connect_options& opts);

  /// Publishes `events` (e.g. from runtime::decode_publish) atomically and
  /// durably: one result per event, in input order, once stored.
  caf::expected<std::vector<protocol::publish_result>>
  publish(std::vector<v1::Event> events);

  /// One page of the audit trail as this identity sees it.
  caf::expected<protocol::query_page> query(protocol::event_query q);

  /// The stored event `id`; not_found whether unknown or not visible.
  caf::expected<v1::Event> fetch(const std::string& id);

  /// Subscribes: `callback` gets every matching event stored from now on
  /// (and, with `opts.from_seq`, the stored ones from that seq first).
  caf::expected<subscription> subscribe(const subscribe_options& opts,
                                        event_callback callback);

  /// Subscribes an actor of the caller's: it gets protocol::deliver_atom
  /// messages (no replay). Returns the subscription id; end it with
  /// unsubscribe().
  caf::expected<std::string> subscribe(const subscribe_options& opts,
                                       protocol::subscriber_actor to);
  void unsubscribe(const std::string& id);

  /// A definition by key ("config/db", "user/alice", …) — admin only.
  caf::expected<protocol::definition> get(const std::string& key);
  /// Definitions by key prefix — admin only.
  caf::expected<std::vector<protocol::definition>>
  list(const std::string& prefix);

  /// The session actor, for callers that send messages themselves.
  protocol::session_actor session() const;
  /// The actor system the connection runs on.
  caf::actor_system& system() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace herald::client
