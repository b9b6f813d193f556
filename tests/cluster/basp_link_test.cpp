// The BASP peer link over real sockets on loopback: two or three actor
// systems in one process, each with the middleman and a link published on
// port 0 (basp_link_fixture.hpp), views sent by hand. Every wait is on a
// condition with a deadline. TLS: basp_link_tls_test.cpp.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "actors/cluster/basp_link.hpp"
#include "actors/protocol/type_ids.hpp"
#include "runtime/errc.hpp"
#include "tests/cluster/basp_link_fixture.hpp"

namespace herald::cluster {
namespace {

using namespace test;

/// The lines logged through spdlog's default logger (as well as printed),
/// so a test can wait for one. Installed once per process, before the
/// first test that asks and never removed: actor threads log through the
/// default logger's raw pointer, which must not go away under them.
class log_lines : public spdlog::sinks::base_sink<std::mutex> {
public:
  void clear() {
    std::lock_guard guard{lines_mtx_};
    lines_.clear();
  }

  /// Waits until a line containing `text` was logged since clear().
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout) {
    std::unique_lock guard{lines_mtx_};
    return cv_.wait_for(guard, timeout, [&] {
      return std::any_of(lines_.begin(), lines_.end(), [&](const auto& l) {
        return l.find(text) != std::string::npos;
      });
    });
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    {
      std::lock_guard guard{lines_mtx_};
      lines_.emplace_back(msg.payload.data(), msg.payload.size());
    }
    cv_.notify_all();
  }
  void flush_() override {}

private:
  std::mutex lines_mtx_;
  std::condition_variable cv_;
  strings lines_;
};

log_lines& logged() {
  static auto* lines = [] {
    auto sink = std::make_shared<log_lines>();
    auto old = spdlog::default_logger();
    std::vector<spdlog::sink_ptr> sinks = old->sinks();
    sinks.push_back(sink);
    auto logger = std::make_shared<spdlog::logger>(old->name(), sinks.begin(),
                                                   sinks.end());
    logger->set_level(old->level());
    spdlog::set_default_logger(logger);
    return sink.get();
  }();
  return *lines;
}

TEST_F(basp_link_test, a_view_brings_the_link_up_on_both_sides_once) {
  auto& a = start("a");
  auto& b = start("b");
  view_all({&a, &b}); // both connect at once
  ASSERT_TRUE(a.log->wait_count("up b"));
  ASSERT_TRUE(b.log->wait_count("up a"));
  EXPECT_TRUE(flush(a, b));
  EXPECT_TRUE(flush(b, a));
  // Both handshakes are over by now (each side answered before flushing).
  EXPECT_EQ(a.log->count("up b"), 1u);
  EXPECT_EQ(b.log->count("up a"), 1u);
  EXPECT_EQ(a.peers(), strings{"b"});
  EXPECT_EQ(b.peers(), strings{"a"});
}

TEST_F(basp_link_test, views_at_once_among_three_end_in_one_link_per_pair) {
  auto& a = start("a");
  auto& b = start("b");
  auto& c = start("c");
  view_all({&a, &b, &c});
  for (auto* n : {&a, &b, &c})
    for (auto* m : {&a, &b, &c})
      if (n != m) {
        ASSERT_TRUE(n->log->wait_count("up " + m->id)) << n->id << m->id;
      }
  for (auto* n : {&a, &b, &c})
    for (auto* m : {&a, &b, &c})
      if (n != m) {
        EXPECT_TRUE(flush(*m, *n)) << m->id << " to " << n->id;
      }
  // A second view with the same members changes nothing.
  view_all({&a, &b, &c});
  for (auto* n : {&a, &b, &c})
    for (auto* m : {&a, &b, &c})
      if (n != m) {
        EXPECT_TRUE(flush(*m, *n));
        EXPECT_EQ(n->log->count("up " + m->id), 1u) << n->id << m->id;
        EXPECT_EQ(n->log->count("down " + m->id), 0u) << n->id << m->id;
      }
  EXPECT_EQ(a.peers(), (strings{"b", "c"}));
}

TEST_F(basp_link_test, a_second_hello_from_an_up_peer_changes_nothing) {
  auto& a = start("a");
  auto& b = start("b");
  view_all({&a, &b}); // a dials b
  ASSERT_TRUE(a.log->wait_count("up b"));
  ASSERT_TRUE(b.log->wait_count("up a"));
  // b's link says hello to a as well (as if both had dialed): the same
  // handle, so one logical link stays. Over the connection that exists.
  auto a_at_b =
      b.sys->middleman().remote_actor<basp_link_actor>("127.0.0.1", a.port);
  ASSERT_TRUE(a_at_b);
  caf::send_as(caf::actor_cast<caf::actor>(b.link),
               caf::actor_cast<caf::actor>(*a_at_b), link_hello_atom::value,
               std::string{"b"}, std::string{"s3cret"},
               caf::actor_cast<caf::actor>(b.link));
  EXPECT_TRUE(flush(b, a));
  EXPECT_TRUE(flush(a, b));
  EXPECT_EQ(a.log->entries(), (strings{"up b", "b>flush-1"}));
  EXPECT_EQ(b.log->entries(), (strings{"up a", "a>flush-2"}));
}

TEST_F(basp_link_test, payloads_arrive_in_order_and_once) {
  auto& a = start("a");
  auto& b = start("b");
  view_all({&a, &b});
  ASSERT_TRUE(a.log->wait_count("up b"));
  ASSERT_TRUE(b.log->wait_count("up a"));
  strings sent_ab, sent_ba;
  for (int i = 0; i < 1000; ++i) {
    sent_ab.push_back("ab" + std::to_string(i));
    sent_ba.push_back("ba" + std::to_string(i));
    a.send("b", sent_ab.back());
    b.send("a", sent_ba.back());
  }
  ASSERT_TRUE(flush(a, b));
  ASSERT_TRUE(flush(b, a));
  auto at_b = b.log->from("a");
  auto at_a = a.log->from("b");
  ASSERT_EQ(at_b.size(), 1001u);
  ASSERT_EQ(at_a.size(), 1001u);
  at_b.pop_back(); // the flush marker
  at_a.pop_back();
  EXPECT_EQ(at_b, sent_ab);
  EXPECT_EQ(at_a, sent_ba);
  // Sends to this node itself or to an unknown node are dropped.
  a.send("a", "self");
  a.send("zz", "nobody");
  ASSERT_TRUE(flush(a, b));
  EXPECT_EQ(a.log->from("a"), strings{});
}

TEST_F(basp_link_test, from_is_the_authenticated_sender_never_the_field) {
  auto& a = start("a");
  auto& b = start("b");
  auto& c = start("c");
  view_all({&a, &b, &c});
  ASSERT_TRUE(a.log->wait_count("up b"));
  ASSERT_TRUE(a.log->wait_count("up c"));
  ASSERT_TRUE(b.log->wait_count("up a"));
  ASSERT_TRUE(c.log->wait_count("up a"));
  // c's link itself claims to be b: a believes the handle, not the field.
  auto a_at_c =
      c.sys->middleman().remote_actor<basp_link_actor>("127.0.0.1", a.port);
  ASSERT_TRUE(a_at_c) << caf::to_string(a_at_c.error());
  caf::send_as(c.link, *a_at_c, link_recv_atom::value, std::string{"b"},
               std::string{"forged"});
  // Another actor of b's node, and a local actor of a's node, are nobody.
  auto a_at_b =
      b.sys->middleman().remote_actor<basp_link_actor>("127.0.0.1", a.port);
  ASSERT_TRUE(a_at_b) << caf::to_string(a_at_b.error());
  {
    caf::scoped_actor stranger{*b.sys};
    stranger->send(*a_at_b, link_recv_atom::value, std::string{"b"},
                   std::string{"remote stranger"});
    caf::scoped_actor local{*a.sys};
    local->send(a.link, link_recv_atom::value, std::string{"b"},
                std::string{"local stranger"});
  }
  ASSERT_TRUE(flush(c, a));
  ASSERT_TRUE(flush(b, a));
  auto from_c = a.log->from("c");
  ASSERT_EQ(from_c.size(), 2u) << "forged, then c's flush marker";
  EXPECT_EQ(from_c.front(), "forged");
  for (auto& e : a.log->entries())
    EXPECT_EQ(e.find("stranger"), std::string::npos) << e;
  EXPECT_EQ(a.log->from("b").size(), 1u) << "only b's flush marker";
}

TEST_F(basp_link_test, stray_messages_and_errors_do_not_end_the_link) {
  auto& a = start("a");
  auto& b = start("b");
  view_all({&a, &b});
  ASSERT_TRUE(a.log->wait_count("up b"));
  ASSERT_TRUE(b.log->wait_count("up a"));
  auto a_at_b =
      b.sys->middleman().remote_actor<basp_link_actor>("127.0.0.1", a.port);
  ASSERT_TRUE(a_at_b);
  {
    // From b's node: an error message (CAF's default handler would quit)
    // and a message the link does not know, also as b's own link.
    caf::scoped_actor stranger{*b.sys};
    auto dyn_a = caf::actor_cast<caf::actor>(*a_at_b);
    stranger->send(dyn_a, caf::make_error(caf::sec::unexpected_message));
    stranger->send(dyn_a, std::string{"what"}, 42);
    caf::send_as(caf::actor_cast<caf::actor>(b.link), dyn_a,
                 std::string{"huh"});
  }
  EXPECT_TRUE(flush(b, a));
  EXPECT_TRUE(flush(a, b));
  EXPECT_EQ(a.log->entries(), (strings{"up b", "b>flush-1"}));
  EXPECT_EQ(b.log->entries(), (strings{"up a", "a>flush-2"}));
}

TEST_F(basp_link_test, a_wrong_secret_is_refused_and_nothing_goes_up) {
  auto& warnings = logged();
  warnings.clear();
  auto& a = start("a", "right");
  auto* b = &start("b", "wrong");
  // The refusal itself, as b's link would get it. Asked before the views:
  // a second connection between two nodes while their links connect
  // trips CAF 0.17's BASP (see dials() in basp_link.cpp).
  {
    auto a_at_b =
        b->sys->middleman().remote_actor<basp_link_actor>("127.0.0.1", a.port);
    ASSERT_TRUE(a_at_b);
    caf::error refused;
    caf::scoped_actor self{*b->sys};
    self->request(*a_at_b, deadline, link_hello_atom::value, std::string{"b"},
                  std::string{"wrong"}, caf::actor_cast<caf::actor>(b->link))
        .receive([](std::string&) { ADD_FAILURE() << "accepted"; },
                 [&](caf::error& err) { refused = err; });
    EXPECT_TRUE(refused == runtime::errc::unauthorized)
        << caf::to_string(refused);
  }
  view_all({&a, b}); // a dials b
  // b's link refused a's link's hello (it says so, once a minute): no up.
  ASSERT_TRUE(warnings.wait_for(
      "refused a hello from 'a': wrong cluster secret", deadline));
  EXPECT_EQ(a.log->entries(), strings{});
  EXPECT_EQ(b->log->entries(), strings{});
  EXPECT_EQ(a.peers(), strings{});
  // The sentinel: b comes back on its port with the right secret, a's
  // retries (which never stopped) bring it up, and that is the first up a
  // ever saw of b: the wrong one never went up, not even for a moment.
  const auto port = b->port;
  stop(*b);
  auto& b2 = start("b", "right", port);
  ASSERT_EQ(b2.port, port);
  view_all({&a, &b2});
  ASSERT_TRUE(a.log->wait_count("up b"));
  ASSERT_TRUE(b2.log->wait_count("up a"));
  EXPECT_TRUE(flush(a, b2));
  EXPECT_EQ(a.log->entries(), strings{"up b"});
  EXPECT_EQ(b2.log->entries(), (strings{"up a", "a>flush-1"}));
}

TEST_F(basp_link_test, a_hello_must_come_from_the_link_it_names) {
  auto& a = start("a");
  auto& b = start("b");
  // No views: links stay idle while the test's own connection is made
  // (see a_wrong_secret_is_refused_and_nothing_goes_up).
  auto a_at_b =
      b.sys->middleman().remote_actor<basp_link_actor>("127.0.0.1", a.port);
  ASSERT_TRUE(a_at_b);
  caf::error refused;
  {
    // Right secret, but sent by another actor than the link it presents.
    caf::scoped_actor self{*b.sys};
    self->request(*a_at_b, deadline, link_hello_atom::value, std::string{"b"},
                  std::string{"s3cret"}, caf::actor_cast<caf::actor>(b.link))
        .receive([](std::string&) { ADD_FAILURE() << "accepted"; },
                 [&](caf::error& err) { refused = err; });
  }
  EXPECT_TRUE(refused == runtime::errc::unauthorized)
      << caf::to_string(refused);
  EXPECT_EQ(a.log->count("up b"), 0u);
}

TEST_F(basp_link_test, a_stopped_peer_goes_down_and_comes_back_on_a_new_port) {
  auto& a = start("a");
  auto* b = &start("b");
  view_all({&a, b});
  ASSERT_TRUE(a.log->wait_count("up b"));
  stop(*b);
  ASSERT_TRUE(a.log->wait_count("down b"));
  EXPECT_EQ(a.peers(), strings{});
  b = &start("b");
  view_all({&a, b});
  ASSERT_TRUE(a.log->wait_count("up b", 2));
  ASSERT_TRUE(b->log->wait_count("up a"));
  EXPECT_EQ(a.log->entries(), (strings{"up b", "down b", "up b"}));
  EXPECT_TRUE(flush(a, *b));
  EXPECT_TRUE(flush(*b, a));
}

TEST_F(basp_link_test, a_stopped_peer_comes_back_on_the_same_port) {
  auto& a = start("a");
  auto* b = &start("b");
  const auto port = b->port;
  view_all({&a, b});
  ASSERT_TRUE(a.log->wait_count("up b"));
  stop(*b);
  ASSERT_TRUE(a.log->wait_count("down b"));
  // The view still lists b at its old address: a keeps retrying.
  b = &start("b", "s3cret", port);
  ASSERT_EQ(b->port, port);
  view_all({&a, b});
  ASSERT_TRUE(a.log->wait_count("up b", 2));
  ASSERT_TRUE(b->log->wait_count("up a"));
  EXPECT_EQ(a.log->entries(), (strings{"up b", "down b", "up b"}));
  EXPECT_TRUE(flush(a, *b));
  EXPECT_TRUE(flush(*b, a));
}

TEST_F(basp_link_test, leaving_the_view_brings_the_link_down_on_both_sides) {
  auto& a = start("a");
  auto& b = start("b");
  view_all({&a, &b});
  ASSERT_TRUE(a.log->wait_count("up b"));
  ASSERT_TRUE(b.log->wait_count("up a"));
  view(a, {a.as_member()}); // a's coordinator says b left
  ASSERT_TRUE(a.log->wait_count("down b"));
  ASSERT_TRUE(b.log->wait_count("down a")) << "b is told with a bye";
  // a no longer dials b (b, the higher id, never dials): nothing comes up
  // until a's view lists b again; the exact entries below prove it.
  a.send("b", "lost");
  view(a, {a.as_member(), b.as_member()});
  ASSERT_TRUE(a.log->wait_count("up b", 2));
  ASSERT_TRUE(b.log->wait_count("up a", 2));
  EXPECT_TRUE(flush(a, b));
  EXPECT_EQ(b.log->entries().size(), 4u) << "nothing but up/down and flush";
  EXPECT_EQ(a.log->entries(), (strings{"up b", "down b", "up b"}));
}

TEST_F(basp_link_test, replacing_the_endpoint_is_a_reconnect_for_peers) {
  auto& a = start("a");
  auto& b = start("b");
  view_all({&a, &b});
  ASSERT_TRUE(b.log->wait_count("up a"));
  ASSERT_TRUE(a.log->wait_count("up b"));
  auto old_log = a.log;
  a.log = std::make_shared<endpoint_log>();
  auto old_probe = a.probe;
  a.probe = a.spawn_probe();
  caf::anon_send(a.link, link_attach_atom::value, a.probe);
  ASSERT_TRUE(a.log->wait_count("up b"));
  ASSERT_TRUE(b.log->wait_count("up a", 2));
  EXPECT_EQ(b.log->entries(), (strings{"up a", "down a", "up a"}));
  EXPECT_TRUE(flush(b, a));
  EXPECT_EQ(old_log->entries(), strings{"up b"}) << "the old one hears no more";
  caf::anon_send_exit(old_probe, caf::exit_reason::user_shutdown);
}

TEST_F(basp_link_test, an_endpoint_that_terminates_takes_the_node_down) {
  auto& a = start("a");
  auto& b = start("b");
  view_all({&a, &b});
  ASSERT_TRUE(b.log->wait_count("up a"));
  ASSERT_TRUE(a.log->wait_count("up b"));
  caf::anon_send_exit(a.probe, caf::exit_reason::user_shutdown);
  ASSERT_TRUE(b.log->wait_count("down a"));
  EXPECT_EQ(a.peers(), strings{});
}

/// A loopback port whose connects hang: listening with a backlog of one
/// that one connection already fills, so further SYNs are dropped (as a
/// dead host's would be).
class blackhole {
public:
  blackhole() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listener_, 0) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      ADD_FAILURE() << "blackhole: cannot listen";
    port_ = ntohs(addr.sin_port);
    filler_ = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(filler_, reinterpret_cast<sockaddr*>(&addr), len) != 0)
      ADD_FAILURE() << "blackhole: cannot fill the backlog";
  }
  ~blackhole() {
    close(filler_);
    close(listener_);
  }
  uint16_t port() const { return port_; }

private:
  int listener_ = -1;
  int filler_ = -1;
  uint16_t port_ = 0;
};

TEST_F(basp_link_test, a_member_that_does_not_answer_stalls_no_other_dial) {
  blackhole hole;
  auto& a = start("a");
  auto& b = start("b");
  // "ab" is dialed first; its connect would block the middleman's thread
  // for minutes without the link's own probe (handshake_timeout 2 s here).
  member ghost{"ab", "127.0.0.1:" + std::to_string(hole.port()), ""};
  view(a, {a.as_member(), ghost, b.as_member()});
  view(b, {a.as_member(), ghost, b.as_member()});
  EXPECT_TRUE(a.log->wait_count("up b", 1, 1500ms));
  EXPECT_TRUE(b.log->wait_count("up a", 1, 100ms));
  EXPECT_EQ(a.log->count("up ab"), 0u);
}

// Clients log in on the same port (protocol::login_port, a subset of the
// link's interface): the link answers what the node's login function does.
TEST_F(basp_link_test, a_client_logs_in_through_the_login_function) {
  caf::actor session_given;
  auto& a = start("a");
  nodes_.push_back(std::make_unique<test_node>(
      "b", "s3cret", 0,
      [&](const std::string& credential,
          const caf::actor&) -> caf::expected<caf::actor> {
        if (credential != "good")
          return runtime::make_api_error(runtime::errc::unauthorized, "no");
        return session_given;
      }));
  auto& b = *nodes_.back();
  session_given = caf::actor_cast<caf::actor>(b.probe);
  // The client: its own system, as tools/client connects.
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  protocol::add_message_types(cfg);
  caf::actor_system client{cfg};
  auto login = [&](uint16_t port, const std::string& credential) {
    auto at = client.middleman().remote_actor<protocol::login_port>("127.0.0.1",
                                                                    port);
    EXPECT_TRUE(at) << caf::to_string(at.error());
    caf::expected<caf::actor> out{caf::error{}};
    caf::scoped_actor self{client};
    self->request(*at, deadline, protocol::login_atom::value, credential,
                  caf::actor{})
        .receive([&](caf::actor& x) { out = std::move(x); },
                 [&](caf::error& err) { out = std::move(err); });
    return out;
  };
  auto ok = login(b.port, "good");
  ASSERT_TRUE(ok) << caf::to_string(ok.error());
  EXPECT_EQ(ok->node(), b.sys->node()); // the node's actor, seen remotely
  auto bad = login(b.port, "bad");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error() == runtime::errc::unauthorized);
  // A link without a login function refuses every login.
  auto none = login(a.port, "good");
  ASSERT_FALSE(none);
  EXPECT_TRUE(none.error() == runtime::errc::unavailable);
  // Peers still connect through the extended interface.
  view_all({&a, &b});
  EXPECT_TRUE(a.log->wait_count("up b"));
  EXPECT_TRUE(b.log->wait_count("up a"));
}

TEST(basp_link_secret, constant_time_compare) {
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_TRUE(equal_constant_time("", ""));
  EXPECT_FALSE(equal_constant_time("abd", "abc"));
  EXPECT_FALSE(equal_constant_time("ab", "abc"));
  EXPECT_FALSE(equal_constant_time("abcd", "abc"));
  EXPECT_FALSE(equal_constant_time(std::string("ab\0", 3), "ab"));
}

} // namespace
} // namespace herald::cluster
