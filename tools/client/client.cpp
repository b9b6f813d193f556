#include "tools/client/client.hpp"

#include <atomic>
#include <random>
#include <set>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/protocol/login.hpp"
#include "actors/protocol/type_ids.hpp"
#include "runtime/content_filter.hpp"
#include "runtime/errc.hpp"

namespace herald::client {

namespace {

/// Local only: the replay is over, hand on deliveries above this seq.
using live_atom = caf::atom_constant<caf::atom("hclive")>;

std::string random_id() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "client-";
  for (int i = 0; i < 16; ++i)
    out += hex[gen() % 16];
  return out;
}

/// What the subscriber actor and its subscription share.
struct progress {
  std::atomic<uint64_t> last_seq{0};
};

struct subscriber_state {
  bool live = false;
  /// Deliveries that arrived while the caller replayed the store.
  protocol::event_ptrs held;
};

/// Hands deliveries to `callback` in seq order, each once; holds them until
/// the replay (done by the subscribing thread) says where it ended.
caf::behavior subscriber(caf::stateful_actor<subscriber_state>* self,
                         event_callback callback,
                         std::shared_ptr<progress> seen) {
  auto hand_on = [callback, seen](const protocol::event_ptr& ev) {
    if (!ev || ev->seq() <= seen->last_seq.load())
      return;
    callback(*ev);
    seen->last_seq.store(ev->seq());
  };
  // Errors (e.g. the node went away) must not end the actor quietly before
  // the subscription is cancelled; they are dropped.
  self->set_error_handler([](caf::error&) {});
  return {
      [self, hand_on](protocol::deliver_atom, const protocol::event_ptrs& evs) {
        if (!self->state.live) {
          self->state.held.insert(self->state.held.end(), evs.begin(),
                                  evs.end());
          return;
        }
        for (auto& ev : evs)
          hand_on(ev);
      },
      [self, hand_on, seen](live_atom, uint64_t replayed_to) {
        if (seen->last_seq.load() < replayed_to)
          seen->last_seq.store(replayed_to);
        self->state.live = true;
        for (auto& ev : self->state.held)
          hand_on(ev);
        self->state.held.clear();
      },
  };
}

/// The node port's login actor over TLS: a connect through CAF's OpenSSL
/// middleman (the system has loaded it), bounded by `opts.timeout`.
caf::expected<protocol::login_port> connect_tls(caf::actor_system& sys,
                                                const connect_options& opts) {
  caf::scoped_actor self{sys};
  caf::expected<protocol::login_port> out{caf::error{}};
  self->request(sys.openssl_manager().actor_handle(), opts.timeout,
                caf::connect_atom::value, opts.host, opts.port)
      .receive(
          [&](const caf::node_id&, caf::strong_actor_ptr& ptr,
              const std::set<std::string>& ifs) {
            if (!ptr) {
              out = caf::make_error(caf::sec::no_actor_published_at_port);
              return;
            }
            // What remote_actor<login_port> checks: the published
            // interface includes the login.
            if (!sys.assignable<protocol::login_port>(ifs)) {
              out = caf::make_error(
                  caf::sec::unexpected_actor_messaging_interface);
              return;
            }
            out = caf::actor_cast<protocol::login_port>(std::move(ptr));
          },
          [&](caf::error& err) { out = std::move(err); });
  return out;
}

caf::error unavailable(std::string what) {
  return runtime::make_api_error(runtime::errc::unavailable, std::move(what));
}

} // namespace

struct connection::impl {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  protocol::session_actor session;
  /// Lives as long as the connection: the node ends the session when it
  /// goes down or its connection is lost (protocol/login.hpp).
  caf::actor owner;
  std::chrono::milliseconds timeout{5000};

  ~impl() {
    // The session is the node's; dropping the handle is enough. The system's
    // destructor waits for local actors (subscribers are exited by their
    // subscriptions, which hold this impl).
    // A clean disconnect ends the session on the node; a lost client's
    // session lives until the node stops (docs/CLIENT.md).
    if (session)
      caf::anon_send_exit(session, caf::exit_reason::user_shutdown);
    session = nullptr;
    if (owner)
      caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
    owner = nullptr;
    sys.reset();
  }

  /// One request to the session, blocking up to `timeout`.
  template <class Result, class... Ts>
  caf::expected<Result> ask(Ts&&... xs) {
    caf::scoped_actor self{*sys};
    caf::expected<Result> out{caf::error{}};
    self->request(session, timeout, std::forward<Ts>(xs)...)
        .receive([&](Result& r) { out = std::move(r); },
                 [&](caf::error& e) { out = std::move(e); });
    return out;
  }
};

struct subscription::state {
  /// The connection's actor system outlives every subscription of it.
  std::shared_ptr<void> keep_alive;
  protocol::session_actor session;
  std::string id;
  caf::actor subscriber;
  std::shared_ptr<progress> seen;

  void cancel() {
    if (!subscriber)
      return;
    caf::anon_send(session, protocol::unsubscribe_atom::value, id);
    caf::anon_send_exit(subscriber, caf::exit_reason::user_shutdown);
    subscriber = nullptr;
  }
  ~state() { cancel(); }
};

subscription::~subscription() = default;

const std::string& subscription::id() const noexcept {
  static const std::string none;
  return state_ ? state_->id : none;
}

uint64_t subscription::last_seq() const noexcept {
  return state_ ? state_->seen->last_seq.load() : 0;
}

void subscription::cancel() {
  if (state_)
    state_->cancel();
}

caf::expected<connection> connection::connect(const connect_options& opts) {
  auto st = std::make_shared<impl>();
  st->timeout = opts.timeout;
  if (auto err = protocol::check(opts.tls))
    return err;
  st->cfg.load<caf::io::middleman>();
  if (opts.tls.enabled())
    protocol::configure(st->cfg, opts.tls);
  protocol::add_message_types(st->cfg);
  st->cfg.set("scheduler.max-threads", 2);
  st->sys = std::make_unique<caf::actor_system>(st->cfg);
  auto port = opts.tls.enabled()
                  ? connect_tls(*st->sys, opts)
                  : st->sys->middleman().remote_actor<protocol::login_port>(
                        opts.host, opts.port);
  if (!port)
    return unavailable(
        "cannot reach a Herald node port at " + opts.host + ":" +
        std::to_string(opts.port) + ": " + caf::to_string(port.error()) +
        (opts.tls.enabled()
             ? " (check --node HOST:PORT, that the node runs TLS and that "
               "both certificates are signed by the CA the other side "
               "trusts)"
             : " (check --node HOST:PORT; a node with TLS refuses a plain "
               "connection)"));
  st->owner = st->sys->spawn([]() -> caf::behavior {
    // Nothing to do but exist; any message is dropped.
    return {[](const std::string&) {}};
  });
  caf::scoped_actor self{*st->sys};
  caf::error err;
  self->request(*port, opts.timeout, protocol::login_atom::value, opts.token,
                st->owner)
      .receive(
          [&](caf::actor& session) {
            st->session = caf::actor_cast<protocol::session_actor>(session);
          },
          [&](caf::error& e) { err = std::move(e); });
  if (err)
    return err;
  if (!st->session)
    return unavailable("the node answered the login without a session");
  connection out;
  out.impl_ = std::move(st);
  return out;
}

caf::expected<std::vector<protocol::publish_result>>
connection::publish(std::vector<v1::Event> events) {
  return impl_->ask<std::vector<protocol::publish_result>>(
      protocol::publish_atom::value, std::move(events));
}

caf::expected<protocol::query_page> connection::query(protocol::event_query q) {
  return impl_->ask<protocol::query_page>(protocol::query_atom::value,
                                          std::move(q));
}

caf::expected<v1::Event> connection::fetch(const std::string& id) {
  return impl_->ask<v1::Event>(protocol::fetch_atom::value, id);
}

namespace {

caf::expected<protocol::subscribe_spec> spec_of(const subscribe_options& opts) {
  protocol::subscribe_spec spec;
  spec.id = random_id();
  spec.name = opts.name;
  spec.scope = opts.scope;
  spec.queue = opts.queue;
  if (opts.filter) {
    auto f = runtime::content_filter::parse(*opts.filter, "filter");
    if (!f)
      return std::move(f.error());
    spec.filter = std::move(*f);
  }
  return spec;
}

} // namespace

caf::expected<std::string>
connection::subscribe(const subscribe_options& opts,
                      protocol::subscriber_actor to) {
  auto spec = spec_of(opts);
  if (!spec)
    return std::move(spec.error());
  auto id = spec->id;
  auto r = impl_->ask<uint64_t>(protocol::subscribe_atom::value,
                                std::move(*spec), std::move(to));
  if (!r)
    return std::move(r.error());
  return id;
}

void connection::unsubscribe(const std::string& id) {
  caf::anon_send(impl_->session, protocol::unsubscribe_atom::value, id);
}

caf::expected<subscription> connection::subscribe(const subscribe_options& opts,
                                                  event_callback callback) {
  auto spec = spec_of(opts);
  if (!spec)
    return std::move(spec.error());
  auto st = std::make_shared<subscription::state>();
  st->keep_alive = impl_;
  st->session = impl_->session;
  st->id = spec->id;
  st->seen = std::make_shared<progress>();
  st->subscriber = impl_->sys->spawn(subscriber, callback, st->seen);
  auto replay_query = protocol::event_query{};
  replay_query.name = spec->name;
  replay_query.scope = spec->scope;
  replay_query.filter = spec->filter;
  auto last_routed = impl_->ask<uint64_t>(
      protocol::subscribe_atom::value, std::move(*spec),
      caf::actor_cast<protocol::subscriber_actor>(st->subscriber));
  if (!last_routed) {
    caf::anon_send_exit(st->subscriber, caf::exit_reason::user_shutdown);
    st->subscriber = nullptr;
    return std::move(last_routed.error());
  }
  // Replay [from_seq, last_routed] from the store on this thread while the
  // subscriber holds what arrives live; then it hands on what is newer.
  uint64_t replayed_to = *last_routed;
  if (opts.from_seq && *opts.from_seq <= *last_routed) {
    replay_query.from_seq = opts.from_seq;
    replay_query.limit = 1000;
    bool done = false;
    while (!done) {
      auto page = query(replay_query);
      if (!page) {
        st->cancel();
        return std::move(page.error());
      }
      for (auto& ev : page->events) {
        if (ev.seq() > *last_routed) {
          done = true;
          break;
        }
        if (ev.seq() <= st->seen->last_seq.load())
          continue;
        callback(ev);
        st->seen->last_seq.store(ev.seq());
      }
      if (page->next.empty())
        break;
      replay_query.after = page->next;
    }
  }
  caf::anon_send(st->subscriber, live_atom::value, replayed_to);
  subscription out;
  out.state_ = std::move(st);
  return out;
}

caf::expected<protocol::definition> connection::get(const std::string& key) {
  return impl_->ask<protocol::definition>(protocol::get_atom::value, key);
}

caf::expected<std::vector<protocol::definition>>
connection::list(const std::string& prefix) {
  return impl_->ask<std::vector<protocol::definition>>(
      protocol::list_atom::value, prefix);
}

protocol::session_actor connection::session() const {
  return impl_->session;
}

caf::actor_system& connection::system() const {
  return *impl_->sys;
}

} // namespace herald::client
