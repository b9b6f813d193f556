#pragma once

// The BASP peer link's test fixture (tests/cluster/basp_link_test.cpp,
// basp_link_tls_test.cpp): nodes of their own actor systems on real
// loopback sockets, each with a link published on port 0 (plain or, with
// node_tls files, through CAF's OpenSSL module) and an endpoint that logs
// what it hears. Every wait is on a condition with a deadline.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <gtest/gtest.h>

#include "actors/cluster/basp_link.hpp"
#include "actors/protocol/node_tls.hpp"
#include "actors/protocol/type_ids.hpp"

namespace herald::cluster::test {

using namespace std::chrono_literals;
using strings = std::vector<std::string>;

constexpr auto deadline = 5s;

/// What one node's endpoint saw ("up b", "down b", "b>payload"), shared
/// with the test thread.
class endpoint_log {
public:
  void add(std::string entry) {
    {
      std::lock_guard guard{mtx_};
      entries_.push_back(std::move(entry));
    }
    cv_.notify_all();
  }

  strings entries() const {
    std::lock_guard guard{mtx_};
    return entries_;
  }

  /// Payloads from `node`, in arrival order.
  strings from(const std::string& node) const {
    strings out;
    for (auto& e : entries())
      if (e.starts_with(node + ">"))
        out.push_back(e.substr(node.size() + 1));
    return out;
  }

  size_t count(const std::string& entry) const {
    auto all = entries();
    return static_cast<size_t>(std::count(all.begin(), all.end(), entry));
  }

  /// Waits until `pred(entries)` holds or `timeout` passes; returns it.
  bool wait_for(const std::function<bool(const strings&)>& pred,
                std::chrono::milliseconds timeout = deadline) {
    std::unique_lock guard{mtx_};
    return cv_.wait_for(guard, timeout, [&] { return pred(entries_); });
  }

  /// Waits until `entry` was seen `n` times.
  bool wait_count(const std::string& entry, size_t n = 1,
                  std::chrono::milliseconds timeout = deadline) {
    return wait_for(
        [&](const strings& es) {
          return static_cast<size_t>(std::count(es.begin(), es.end(), entry)) >=
                 n;
        },
        timeout);
  }

private:
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  strings entries_;
};

/// One Herald node as far as the link is concerned: its own actor system
/// with the middleman, the link published on 127.0.0.1, a probe endpoint.
/// With `tls` files (not checked: a test may give a side files that do not
/// go together) CAF's OpenSSL module is loaded, the link is published
/// with caf::openssl::publish and dials over TLS, as heraldd does.
struct test_node {
  std::string id;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  basp_link_actor link;
  peer_endpoint probe;
  uint16_t port = 0;
  std::shared_ptr<endpoint_log> log = std::make_shared<endpoint_log>();

  test_node(std::string node_id, const std::string& secret, uint16_t at = 0,
            decltype(basp_link_options::login) login = {},
            const protocol::node_tls& tls = {})
      : id(std::move(node_id)) {
    cfg.set("scheduler.max-threads", size_t{2});
    cfg.load<caf::io::middleman>();
    if (tls.enabled())
      protocol::configure(cfg, tls);
    protocol::add_message_types(cfg);
    add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    basp_link_options opts;
    opts.self = id;
    opts.secret = secret;
    opts.retry_every = 100ms;
    opts.handshake_timeout = 2s;
    opts.login = std::move(login);
    opts.tls = tls.enabled();
    link = spawn_basp_link(*sys, opts);
    auto published =
        tls.enabled() ? caf::openssl::publish(link, at, "127.0.0.1", true)
                      : sys->middleman().publish(link, at, "127.0.0.1", true);
    if (!published) {
      ADD_FAILURE() << "publish: " << caf::to_string(published.error());
      return;
    }
    port = *published;
    probe = spawn_probe();
    caf::anon_send(link, link_attach_atom::value, probe);
  }

  ~test_node() {
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
    sys.reset();
  }

  peer_endpoint spawn_probe() {
    auto log_ = log;
    return sys->spawn(
        [log_](peer_endpoint::pointer) -> peer_endpoint::behavior_type {
          return {
              [log_](link_recv_atom, const std::string& from,
                     const std::string& payload) {
                log_->add(from + ">" + payload);
              },
              [log_](link_up_atom, const std::string& node) {
                log_->add("up " + node);
              },
              [log_](link_down_atom, const std::string& node) {
                log_->add("down " + node);
              },
          };
        });
  }

  member as_member() const {
    return member{id, "127.0.0.1:" + std::to_string(port), ""};
  }

  void send(const std::string& to, const std::string& payload) {
    caf::anon_send(link, link_send_atom::value, to, payload);
  }

  strings peers() {
    strings out;
    caf::scoped_actor self{*sys};
    self->request(link, deadline, link_peers_atom::value)
        .receive([&](strings& xs) { out = std::move(xs); },
                 [&](caf::error& err) {
                   ADD_FAILURE() << "peers: " << caf::to_string(err);
                 });
    return out;
  }
};

class basp_link_test : public ::testing::Test {
protected:
  test_node& start(const std::string& id, const std::string& secret = "s3cret",
                   uint16_t port = 0) {
    nodes_.push_back(std::make_unique<test_node>(id, secret, port));
    return *nodes_.back();
  }

  /// A node whose node port is TLS with `tls`'s files.
  test_node& start_tls(const std::string& id, const protocol::node_tls& tls,
                       const std::string& secret = "s3cret") {
    nodes_.push_back(std::make_unique<test_node>(id, secret, 0, nullptr, tls));
    return *nodes_.back();
  }

  /// Stops `n` (its system goes away, sockets closed).
  void stop(test_node& n) {
    for (auto i = nodes_.begin(); i != nodes_.end(); ++i)
      if (i->get() == &n) {
        nodes_.erase(i);
        return;
      }
  }

  /// Sends `to` the view made of `members` (sorted by id).
  void view(test_node& to, std::vector<member> members) {
    std::sort(members.begin(), members.end(),
              [](const member& x, const member& y) { return x.id < y.id; });
    caf::anon_send(to.link, view_atom::value,
                   membership{++views_, std::move(members)});
  }

  /// Every node gets the view of all of `ns`.
  void view_all(std::vector<test_node*> ns) {
    std::vector<member> ms;
    for (auto* n : ns)
      ms.push_back(n->as_member());
    for (auto* n : ns)
      view(*n, ms);
  }

  /// Sends a marker from → to and waits for it: everything sent before on
  /// that pair has arrived (FIFO).
  bool flush(test_node& from, test_node& to) {
    auto marker = "flush-" + std::to_string(++flushes_);
    from.send(to.id, marker);
    return to.log->wait_count(from.id + ">" + marker);
  }

  ~basp_link_test() override {
    while (!nodes_.empty())
      nodes_.pop_back();
  }

  std::vector<std::unique_ptr<test_node>> nodes_;
  uint64_t views_ = 0;
  int flushes_ = 0;
};

} // namespace herald::cluster::test
