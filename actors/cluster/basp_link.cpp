#include "actors/cluster/basp_link.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/cluster/errc.hpp"
#include "runtime/errc.hpp"

namespace herald::cluster {

bool equal_constant_time(const std::string& given, const std::string& secret) {
  // Every byte of `secret` is looked at; a shorter `given` reads as zeros.
  unsigned diff = given.size() == secret.size() ? 0u : 1u;
  for (size_t i = 0; i < secret.size(); ++i) {
    const auto g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(secret[i]);
  }
  return diff == 0;
}

namespace {

/// "host:port" or "[v6]:port"; nothing when malformed.
std::optional<std::pair<std::string, uint16_t>>
split_address(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == addr.size())
    return std::nullopt;
  auto host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  for (size_t i = colon + 1; i < addr.size(); ++i) {
    if (addr[i] < '0' || addr[i] > '9')
      return std::nullopt;
    port = port * 10 + static_cast<unsigned long>(addr[i] - '0');
    if (port > 65535)
      return std::nullopt;
  }
  if (port == 0 || host.empty())
    return std::nullopt;
  return std::pair{std::move(host), static_cast<uint16_t>(port)};
}

/// Whether a TCP connection to host:port opens within `timeout`. Blocks
/// (name lookup, connect): only for tcp_probe's own thread.
bool tcp_reachable(const std::string& host, uint16_t port,
                   std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) !=
      0)
    return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = false;
  for (auto* ai = found; ai != nullptr && !ok; ai = ai->ai_next) {
    int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai->ai_protocol);
    if (fd < 0)
      continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      ok = true;
    } else if (errno == EINPROGRESS) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof(err);
      ok = left.count() > 0 &&
           poll(&p, 1, static_cast<int>(left.count())) == 1 &&
           getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    close(fd);
  }
  freeaddrinfo(found);
  return ok;
}

/// `(host, port, timeout_ms) -> bool`, once, on a thread of its own, then
/// quits. The middleman's connect is a blocking connect() on the
/// middleman actor's thread: asked about a host that drops SYNs it would
/// stall every other dial for minutes, so a dial asks it only after this
/// probe reached the port.
caf::behavior tcp_probe(caf::event_based_actor* self) {
  return {
      [self](const std::string& host, uint16_t port, int64_t timeout_ms) {
        auto ok =
            tcp_reachable(host, port, std::chrono::milliseconds{timeout_ms});
        self->quit();
        return ok;
      },
  };
}

struct link_state {
  basp_link_options opts;
  /// Invalid while none is attached: then no peer is up.
  peer_endpoint endpoint;
  /// The members of the last view but this node: id → caf_address.
  std::map<std::string, std::string> members;
  /// Authenticated peers: id → their link; and back by address.
  std::map<std::string, basp_link_actor> up;
  std::map<caf::actor_addr, std::string> by_addr;
  /// Handshakes in flight: id → attempt number. A handshake whose entry is
  /// gone or newer (view changed, endpoint replaced) is stale.
  std::map<std::string, uint64_t> connecting;
  uint64_t attempts = 0;
  /// The attempt of the last hello sent to each peer link (until its
  /// answer): an answer to an older hello must not say bye, as the bye
  /// would arrive after the newer hello and end its session.
  std::map<caf::actor_addr, uint64_t> last_hello;
  bool retry_scheduled = false;
  /// When a wrong secret from a claimed id was last logged (a handful of
  /// entries: cleared when it grows past 1024).
  std::map<std::string, std::chrono::steady_clock::time_point> refused;
  /// When a failed connect to a reachable member was last logged, by id
  /// (cleared once a connect to it succeeds).
  std::map<std::string, std::chrono::steady_clock::time_point> dial_refused;

  static inline const char* name = "herald.basp_link";
};

using link_pointer = basp_link_actor::stateful_pointer<link_state>;

caf::actor_addr sender_addr(link_pointer self) {
  return caf::actor_cast<caf::actor_addr>(self->current_sender());
}

/// `id` is down here: forgets its handle, tells the endpoint (unless it
/// is gone or replaced) and the peer (unless it is dead or told us).
void mark_down(link_pointer self, const std::string& id, bool say_bye,
               bool tell_endpoint) {
  auto& st = self->state;
  auto i = st.up.find(id);
  if (i == st.up.end())
    return;
  auto handle = std::move(i->second);
  st.up.erase(i);
  st.by_addr.erase(handle.address());
  self->demonitor(handle.address());
  if (say_bye)
    self->send(handle, link_bye_atom::value);
  if (tell_endpoint && st.endpoint)
    self->send(st.endpoint, link_down_atom::value, id);
}

/// Every peer goes down and is told so (endpoint replaced or gone); the
/// endpoint hears nothing. Handshakes in flight become stale.
void drop_all(link_pointer self) {
  auto& st = self->state;
  std::vector<std::string> ids;
  for (auto& [id, h] : st.up)
    ids.push_back(id);
  for (auto& id : ids)
    mark_down(self, id, true, false);
  st.connecting.clear();
}

/// `id` authenticated with `handle`: up (a new handle replaces the old one:
/// down, then up). False if `handle` is already up under another id.
bool mark_up(link_pointer self, const std::string& id,
             const basp_link_actor& handle) {
  auto& st = self->state;
  auto known = st.by_addr.find(handle.address());
  if (known != st.by_addr.end())
    return known->second == id;
  if (st.up.count(id) != 0)
    mark_down(self, id, false, true); // restarted: the old link is gone
  st.up.emplace(id, handle);
  st.by_addr.emplace(handle.address(), id);
  self->monitor(handle);
  self->send(st.endpoint, link_up_atom::value, id);
  return true;
}

bool wants(link_pointer self, const std::string& id) {
  auto& st = self->state;
  return st.endpoint && st.members.count(id) != 0 && st.up.count(id) == 0;
}

/// This node opens the connection to `id` (the lower id connects, the
/// higher waits for its hello): two nodes never dial each other at once,
/// which CAF 0.17's BASP does not handle cleanly (two TCP connections per
/// pair, routes switched between them while messages are in flight,
/// spurious request_receiver_down).
bool dials(const link_state& st, const std::string& id) {
  return st.opts.self < id;
}

void schedule_retry(link_pointer self) {
  auto& st = self->state;
  if (st.retry_scheduled || !st.endpoint)
    return;
  for (auto& [id, addr] : st.members)
    if (dials(st, id) && st.up.count(id) == 0) {
      st.retry_scheduled = true;
      self->delayed_send(self, st.opts.retry_every, link_retry_atom::value);
      return;
    }
}

bool current(link_pointer self, const std::string& id, uint64_t attempt) {
  auto i = self->state.connecting.find(id);
  return i != self->state.connecting.end() && i->second == attempt;
}

/// Our hello to `peer` (expected to be `id`) came back: `their_id` on
/// success. Takes the peer up if still wanted; otherwise, unless the
/// peer is already up here under that handle or a newer hello to it is
/// on its way, says bye so it does not keep us up alone (it may have
/// accepted the hello, or have answered after our deadline).
void hello_answered(link_pointer self, const std::string& id, uint64_t attempt,
                    const basp_link_actor& peer,
                    const std::optional<std::string>& their_id) {
  auto& st = self->state;
  const bool live = current(self, id, attempt);
  if (live)
    st.connecting.erase(id);
  auto last = st.last_hello.find(peer.address());
  const bool latest = last != st.last_hello.end() && last->second == attempt;
  if (latest)
    st.last_hello.erase(last);
  if (st.by_addr.count(peer.address()) != 0)
    return; // up already (its own hello came first)
  if (their_id && *their_id != id)
    spdlog::warn("cluster link: {} answered as '{}', expected '{}'; dropped",
                 st.members.count(id) ? st.members[id] : "a peer", *their_id,
                 id);
  if (live && their_id && *their_id == id && wants(self, id) &&
      mark_up(self, id, peer))
    return;
  if (latest)
    self->send(peer, link_bye_atom::value);
}

void start_handshake(link_pointer self, const std::string& id,
                     const std::string& addr) {
  auto& st = self->state;
  auto where = split_address(addr);
  if (!where) {
    spdlog::warn("cluster link: member '{}' has no valid CAF address '{}'", id,
                 addr);
    return;
  }
  const auto attempt = ++st.attempts;
  st.connecting[id] = attempt;
  auto fail = [self, id, attempt](const caf::error& err) {
    if (!current(self, id, attempt))
      return;
    self->state.connecting.erase(id);
    spdlog::debug("cluster link: no link to '{}' yet: {}", id,
                  caf::to_string(err));
    schedule_retry(self);
  };
  // The port took a TCP connection, yet no BASP connection came of it:
  // TLS on one side only, a certificate the other side refuses, or not a
  // node port at all. The other side cannot say (CAF drops it before any
  // Herald code sees it), so the dialer warns, once a minute per member.
  auto refused = [self, id, attempt, fail, addr](const caf::error& err) {
    if (current(self, id, attempt)) {
      auto now = std::chrono::steady_clock::now();
      auto& last = self->state.dial_refused[id];
      if (last == std::chrono::steady_clock::time_point{} ||
          now - last > std::chrono::minutes{1}) {
        last = now;
        spdlog::warn("cluster link: '{}' at {} took the connection but no "
                     "link came of it ({}): a TLS node and a plain node "
                     "never link, and with TLS both certificates must be "
                     "signed by the CA both nodes trust",
                     id, addr, caf::to_string(err));
      }
    }
    fail(err);
  };
  auto dial = [self, id, attempt, fail, refused, host = where->first,
               port = where->second] {
    auto& sys = self->system();
    if (self->state.opts.tls && !sys.has_openssl_manager()) {
      fail(caf::make_error(errc::unavailable,
                           "TLS configured, but CAF's OpenSSL module is not "
                           "loaded"));
      return;
    }
    auto middleman = self->state.opts.tls ? sys.openssl_manager().actor_handle()
                                          : sys.middleman().actor_handle();
    self->request(middleman, self->state.opts.handshake_timeout,
                  caf::connect_atom::value, host, port)
        .then(
            [self, id, attempt, fail](const caf::node_id&,
                                      caf::strong_actor_ptr& ptr,
                                      const std::set<std::string>& ifs) {
              if (!current(self, id, attempt))
                return;
              auto& st = self->state;
              if (!ptr) {
                fail(caf::make_error(errc::unavailable,
                                     "no actor published at the node port"));
                return;
              }
              // An empty set: published as a dynamically typed actor.
              if (!ifs.empty() &&
                  ifs != self->system().message_types<basp_link_actor>()) {
                spdlog::warn("cluster link: '{}' does not speak this version "
                             "of the peer link; not connecting",
                             id);
                fail(caf::make_error(errc::unavailable, "interface mismatch"));
                return;
              }
              st.dial_refused.erase(id);
              auto peer = caf::actor_cast<basp_link_actor>(std::move(ptr));
              st.last_hello[peer.address()] = attempt;
              self->request(peer, st.opts.handshake_timeout,
                            link_hello_atom::value, st.opts.self,
                            st.opts.secret, caf::actor_cast<caf::actor>(self))
                  .then(
                      [self, id, attempt, peer](std::string& their_id) {
                        hello_answered(self, id, attempt, peer,
                                       std::move(their_id));
                        schedule_retry(self);
                      },
                      [self, id, attempt, peer, fail](caf::error& err) {
                        const bool live = current(self, id, attempt);
                        hello_answered(self, id, attempt, peer, std::nullopt);
                        if (live) {
                          spdlog::debug(
                              "cluster link: hello to '{}' failed: {}", id,
                              caf::to_string(err));
                          schedule_retry(self);
                        }
                      });
            },
            refused);
  };
  auto probe = self->spawn<caf::detached>(tcp_probe);
  const auto ms = st.opts.handshake_timeout.count();
  self->request(probe, st.opts.handshake_timeout * 2, where->first,
                where->second, static_cast<int64_t>(ms))
      .then(
          [self, id, attempt, fail, dial](bool reachable) {
            if (!current(self, id, attempt))
              return;
            if (!reachable) {
              fail(caf::make_error(errc::unavailable, "port not reachable"));
              return;
            }
            dial();
          },
          fail);
}

/// Starts a handshake with every member of the view that is neither up
/// nor connecting; keeps the retry tick going while any is not up.
void connect_missing(link_pointer self) {
  auto& st = self->state;
  if (!st.endpoint)
    return;
  for (auto& [id, addr] : st.members)
    if (dials(st, id) && st.up.count(id) == 0 && st.connecting.count(id) == 0)
      start_handshake(self, id, addr);
  schedule_retry(self);
}

basp_link_actor::behavior_type basp_link(link_pointer self,
                                         basp_link_options opts) {
  self->state.opts = std::move(opts);
  // The node port lets anyone connected send anything. Unknown messages
  // are dropped without an answer (caf::drop would answer an error, and
  // two links answering each other's errors would never stop), and a
  // stray error message must not end the link (CAF's default quits).
  self->set_default_handler(
      [](caf::scheduled_actor*,
         caf::message_view&) -> caf::result<caf::message> {
        return caf::delegated<caf::message>{};
      });
  self->set_error_handler([](caf::error& err) {
    spdlog::debug("cluster link: ignored an error message: {}",
                  caf::to_string(err));
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (st.endpoint && msg.source == st.endpoint.address()) {
      // Peers see this node down; it stays out until an endpoint attaches.
      drop_all(self);
      st.endpoint = peer_endpoint{};
      return;
    }
    auto i = st.by_addr.find(msg.source);
    if (i == st.by_addr.end())
      return;
    auto id = i->second;
    mark_down(self, id, false, true);
    schedule_retry(self);
  });
  return {
      [self](link_send_atom, const std::string& to, std::string& payload) {
        auto& st = self->state;
        auto i = st.up.find(to);
        if (i == st.up.end())
          return; // not up: dropped, as peer_link.hpp says
        self->send(i->second, link_recv_atom::value, st.opts.self,
                   std::move(payload));
      },
      [self](link_attach_atom, const peer_endpoint& ep) {
        auto& st = self->state;
        if (!ep || ep == st.endpoint)
          return;
        if (st.endpoint) {
          self->demonitor(st.endpoint.address());
          drop_all(self);
        }
        st.endpoint = ep;
        self->monitor(ep);
        connect_missing(self);
      },
      [self](link_peers_atom) {
        std::vector<std::string> out;
        for (auto& [id, h] : self->state.up)
          out.push_back(id);
        return out;
      },
      [self](view_atom, const membership& m) {
        auto& st = self->state;
        auto before = std::move(st.members);
        st.members.clear();
        for (auto& x : m.members)
          if (x.id != st.opts.self)
            st.members.emplace(x.id, x.caf_address);
        // A handshake with a member that moved (restarted elsewhere) is
        // stale: the next one goes to the new address.
        for (auto& [id, addr] : before) {
          auto now = st.members.find(id);
          if (now != st.members.end() && now->second != addr)
            st.connecting.erase(id);
        }
        std::vector<std::string> gone;
        for (auto& [id, h] : st.up)
          if (st.members.count(id) == 0)
            gone.push_back(id);
        for (auto& id : gone)
          mark_down(self, id, true, true);
        for (auto i = st.connecting.begin(); i != st.connecting.end();)
          i = st.members.count(i->first) == 0 ? st.connecting.erase(i) : ++i;
        connect_missing(self);
      },
      [self](protocol::login_atom, const std::string& credential,
             const caf::actor& owner) -> caf::result<caf::actor> {
        auto& login = self->state.opts.login;
        if (!login)
          return runtime::make_api_error(runtime::errc::unavailable,
                                         "this node takes no client logins");
        auto session = login(credential, owner);
        if (!session)
          return std::move(session.error());
        return std::move(*session);
      },
      [self](link_hello_atom, const std::string& node,
             const std::string& secret,
             const caf::actor& handle) -> caf::result<std::string> {
        auto& st = self->state;
        if (!equal_constant_time(secret, st.opts.secret)) {
          // A misconfigured peer retries every retry_every: warn once a
          // minute per claimed node id.
          auto now = std::chrono::steady_clock::now();
          if (st.refused.size() > 1024)
            st.refused.clear();
          auto& last = st.refused[node.substr(0, 64)];
          if (last == std::chrono::steady_clock::time_point{} ||
              now - last > std::chrono::minutes{1}) {
            last = now;
            spdlog::warn("cluster link: refused a hello from '{}': wrong "
                         "cluster secret",
                         node.substr(0, 64));
          }
          return runtime::make_api_error(runtime::errc::unauthorized,
                                         "wrong cluster secret");
        }
        if (node.empty() || node == st.opts.self)
          return runtime::make_api_error(runtime::errc::unauthorized,
                                         "a hello must name another node");
        if (!handle || handle.address() != sender_addr(self))
          return runtime::make_api_error(
              runtime::errc::unauthorized,
              "a hello must come from the link it names");
        if (!st.endpoint)
          return caf::make_error(errc::unavailable, "no endpoint attached yet");
        if (st.members.count(node) == 0)
          return caf::make_error(errc::unavailable,
                                 "'" + node + "' is not in the view of '" +
                                     st.opts.self + "'");
        if (!mark_up(self, node, caf::actor_cast<basp_link_actor>(handle))) {
          spdlog::warn("cluster link: a link up under another id said "
                       "hello as '{}'; refused",
                       node);
          return runtime::make_api_error(runtime::errc::unauthorized,
                                         "this link is up under another id");
        }
        return st.opts.self;
      },
      [self](link_recv_atom, const std::string&, std::string& payload) {
        auto& st = self->state;
        auto i = st.by_addr.find(sender_addr(self));
        if (i == st.by_addr.end() || !st.endpoint)
          return; // not an authenticated peer link: dropped
        self->send(st.endpoint, link_recv_atom::value, i->second,
                   std::move(payload));
      },
      [self](link_bye_atom) {
        auto& st = self->state;
        auto i = st.by_addr.find(sender_addr(self));
        if (i == st.by_addr.end())
          return;
        auto id = i->second;
        mark_down(self, id, false, true);
        schedule_retry(self);
      },
      [self](link_retry_atom) {
        self->state.retry_scheduled = false;
        connect_missing(self);
      },
  };
}

} // namespace

basp_link_actor spawn_basp_link(caf::actor_system& sys,
                                basp_link_options opts) {
  if (opts.secret.empty())
    spdlog::warn("cluster link: no cluster secret; any node that reaches the "
                 "node port can join as a peer");
  return sys.spawn(basp_link, std::move(opts));
}

} // namespace herald::cluster
