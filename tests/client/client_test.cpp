// The client library and heraldctl against a real heraldd (issue 12 points
// 6 and 7): login on the node port, publish/query/subscribe over CAF, the
// docs/CLIENT.md example, heraldctl as a subprocess.

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "tests/client/run_process.hpp"
#include "tests/process/process_fixture.hpp"
#include "tests/support/test_pki.hpp"
#include "tools/client/client.hpp"

namespace herald::test {
namespace {

class client_test : public process_test {
protected:
  client::connect_options opts(const std::string& token) {
    client::connect_options o;
    o.host = "127.0.0.1";
    o.port = node().node_port();
    o.token = token;
    return o;
  }

  v1::Event event(const std::string& name, const std::string& id) {
    v1::Event ev;
    ev.set_name(name);
    ev.set_id(id);
    ev.set_source("client-test");
    ev.set_time_ns(1'700'000'000'000'000'000);
    ev.set_data_json(R"({"n":1})");
    return ev;
  }

  child_process ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        HERALDCTL_PATH,
        "--node",
        "127.0.0.1:" + std::to_string(node().node_port()),
        "--http",
        "127.0.0.1:" + std::to_string(node().http_port()),
        "--token",
        node().admin_token()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, node().work_dir());
  }
};

TEST_F(client_test, bad_token_is_refused) {
  auto conn = client::connection::connect(opts("not-a-token"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(runtime::describe(conn.error()).code, runtime::errc::unauthorized)
      << runtime::describe(conn.error()).message;
}

TEST_F(client_test, publish_then_query_round_trip) {
  auto conn = client::connection::connect(opts(node().admin_token()));
  ASSERT_TRUE(conn) << runtime::describe(conn.error()).message;
  auto acks = conn->publish(
      {event("client.rt.a", "rt-1"), event("client.rt.b", "rt-2")});
  ASSERT_TRUE(acks) << runtime::describe(acks.error()).message;
  ASSERT_EQ(acks->size(), 2u);
  EXPECT_EQ((*acks)[0].id, "rt-1");
  EXPECT_GT((*acks)[1].seq, (*acks)[0].seq);
  protocol::event_query q;
  q.name = "client.rt.*";
  auto page = conn->query(q);
  ASSERT_TRUE(page) << runtime::describe(page.error()).message;
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].id(), "rt-1");
  EXPECT_EQ(page->events[1].seq(), (*acks)[1].seq);
  auto one = conn->fetch("rt-2");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->name(), "client.rt.b");
  auto none = conn->fetch("no-such-id");
  ASSERT_FALSE(none);
  EXPECT_EQ(runtime::describe(none.error()).code, runtime::errc::not_found);
  // A client still connected does not hold the node's shutdown up.
  EXPECT_EQ(node().stop(), 0) << node().output();
}

TEST_F(client_test, subscriber_receives_published_event_and_resumes_by_seq) {
  auto conn = client::connection::connect(opts(node().admin_token()));
  ASSERT_TRUE(conn) << runtime::describe(conn.error()).message;
  std::mutex mx;
  std::vector<std::string> got;
  client::subscribe_options so;
  so.name = "client.sub.>";
  so.filter = R"({"data":{"n":[1]}})";
  auto sub = conn->subscribe(so, [&](const v1::Event& ev) {
    std::lock_guard<std::mutex> g{mx};
    got.push_back(ev.id());
  });
  ASSERT_TRUE(sub) << runtime::describe(sub.error()).message;
  auto other = event("client.other", "o-1");
  ASSERT_TRUE(conn->publish({other, event("client.sub.x", "s-1")}));
  ASSERT_TRUE(wait_for(
      [&] {
        std::lock_guard<std::mutex> g{mx};
        return !got.empty();
      },
      10s));
  const auto first_seq = sub->last_seq();
  sub->cancel();
  {
    std::lock_guard<std::mutex> g{mx};
    EXPECT_EQ(got, std::vector<std::string>{"s-1"});
  }
  // Missed while away, then live: a resume from last_seq + 1 on a new
  // connection sees each exactly once, in order.
  ASSERT_TRUE(conn->publish({event("client.sub.y", "s-2")}));
  auto conn2 = client::connection::connect(opts(node().admin_token()));
  ASSERT_TRUE(conn2);
  std::vector<std::string> resumed;
  so.from_seq = first_seq + 1;
  auto sub2 = conn2->subscribe(so, [&](const v1::Event& ev) {
    std::lock_guard<std::mutex> g{mx};
    resumed.push_back(ev.id());
  });
  ASSERT_TRUE(sub2) << runtime::describe(sub2.error()).message;
  ASSERT_TRUE(conn2->publish({event("client.sub.z", "s-3")}));
  ASSERT_TRUE(wait_for(
      [&] {
        std::lock_guard<std::mutex> g{mx};
        return resumed.size() >= 2;
      },
      10s));
  std::lock_guard<std::mutex> g{mx};
  EXPECT_EQ(resumed, (std::vector<std::string>{"s-2", "s-3"}));
}

TEST_F(client_test, docs_example_runs) {
  auto c =
      run_process({CLIENT_EXAMPLE_PATH, "127.0.0.1",
                   std::to_string(node().node_port()), node().admin_token()},
                  node().work_dir());
  ASSERT_EQ(c.status, 0) << c.stderr_text();
  auto out = c.stdout_text();
  EXPECT_NE(out.find("published example-1 seq="), std::string::npos) << out;
  EXPECT_NE(out.find("received example.greeting seq="), std::string::npos)
      << out;
  EXPECT_NE(out.find("queried 1 event(s)"), std::string::npos) << out;
  // Its session ended with its connection; the node stops cleanly.
  EXPECT_EQ(node().stop(), 0) << node().output();
}

TEST_F(client_test, heraldctl_status_and_nodes) {
  auto s = ctl({"status"});
  ASSERT_EQ(s.status, 0) << s.stderr_text() << s.stdout_text();
  EXPECT_NE(s.stdout_text().find("login"), std::string::npos);
  auto n = ctl({"nodes"});
  ASSERT_EQ(n.status, 0) << n.stderr_text();
  EXPECT_NE(n.stdout_text().find("ID"), std::string::npos) << n.stdout_text();
  EXPECT_NE(n.stdout_text().find("up"), std::string::npos) << n.stdout_text();
  auto j = ctl({"--json", "nodes"});
  ASSERT_EQ(j.status, 0) << j.stderr_text();
  auto parsed = json::parse(j.stdout_text());
  EXPECT_EQ(parsed["nodes"].size(), 1u);
}

TEST_F(client_test, heraldctl_scopes_lists_a_level_of_the_tree) {
  auto p = ctl({"--json", "events", "publish",
                R"([{"name":"ctl.s","scope":"project/p1/prod"},)"
                R"({"name":"ctl.s","scope":"project/p2"}])"});
  ASSERT_EQ(p.status, 0) << p.stderr_text();
  auto roots = ctl({"scopes"});
  ASSERT_EQ(roots.status, 0) << roots.stderr_text();
  EXPECT_EQ(roots.stdout_text(), "project\n");
  auto one = ctl({"scopes", "project", "--limit", "1"});
  ASSERT_EQ(one.status, 0) << one.stderr_text();
  EXPECT_EQ(one.stdout_text(), "project/p1\n");
  EXPECT_NE(one.stderr_text().find("--after project/p1"), std::string::npos)
      << one.stderr_text();
  auto all = ctl({"--json", "scopes", "project", "--limit", "1", "--all"});
  ASSERT_EQ(all.status, 0) << all.stderr_text();
  EXPECT_EQ(json::parse(all.stdout_text())["scopes"],
            json({"project/p1", "project/p2"}));
  auto bad = ctl({"scopes", "a//b"});
  EXPECT_EQ(bad.status, 2) << bad.stdout_text();
  EXPECT_NE(bad.stderr_text().find("invalid_scope"), std::string::npos)
      << bad.stderr_text();
}

TEST_F(client_test, heraldctl_token_from_data_dir) {
  auto c = run_process({HERALDCTL_PATH, "--data-dir",
                        node().data_dir().string(), "--json", "status"},
                       node().work_dir());
  ASSERT_EQ(c.status, 0) << c.stderr_text();
  EXPECT_EQ(json::parse(c.stdout_text())["login"], "ok");
}

TEST_F(client_test, heraldctl_events_publish_query_and_tail) {
  auto p = ctl({"--json", "events", "publish",
                R"({"name":"ctl.ping","id":"ctl-1","data":{"x":1}})"});
  ASSERT_EQ(p.status, 0) << p.stderr_text();
  EXPECT_EQ(json::parse(p.stdout_text())["id"], "ctl-1");
  auto q = ctl({"events", "query", "--name", "ctl.*"});
  ASSERT_EQ(q.status, 0) << q.stderr_text();
  EXPECT_NE(q.stdout_text().find("ctl-1"), std::string::npos);
  EXPECT_NE(q.stdout_text().find("SEQ"), std::string::npos);
  // Without --http the query goes over the node port (this node's trail).
  auto over_caf =
      run_process({HERALDCTL_PATH, "--node",
                   "127.0.0.1:" + std::to_string(node().node_port()), "--token",
                   node().admin_token(), "events", "query", "--name", "ctl.*"},
                  node().work_dir());
  ASSERT_EQ(over_caf.status, 0) << over_caf.stderr_text();
  EXPECT_NE(over_caf.stdout_text().find("ctl-1"), std::string::npos);
  auto qj = ctl({"--json", "events", "query", "--name", "ctl.*"});
  ASSERT_EQ(qj.status, 0);
  EXPECT_EQ(json::parse(qj.stdout_text())["events"][0]["name"], "ctl.ping");

  // tail: started in the background, ready once it says so on stderr.
  child_process tail;
  start_process(tail,
                {HERALDCTL_PATH, "--node",
                 "127.0.0.1:" + std::to_string(node().node_port()), "--token",
                 node().admin_token(), "--json", "events", "tail", "--name",
                 "ctl.tail", "--count", "1", "--for", "20"},
                node().work_dir());
  ASSERT_TRUE(wait_for(
      [&] { return tail.stderr_text().find("tailing") != std::string::npos; },
      10s))
      << tail.stderr_text();
  auto p2 = ctl({"events", "publish", "--name", "ctl.tail", "--data", "{}"});
  ASSERT_EQ(p2.status, 0) << p2.stderr_text();
  ASSERT_EQ(tail.wait(20s), 0) << tail.stderr_text();
  EXPECT_EQ(json::parse(tail.stdout_text())["name"], "ctl.tail");
}

/// herald_client_sessions on the node's /metrics (-1: not there).
double client_sessions(http_client c) {
  auto r = c.get("/metrics");
  const std::string name = "\nherald_client_sessions ";
  auto at = r.body.find(name);
  return at == std::string::npos ? -1
                                 : std::stod(r.body.substr(at + name.size()));
}

TEST_F(client_test, a_client_that_dies_without_closing_leaves_no_session) {
  // A tail is a logged-in session with a subscription.
  child_process tail;
  start_process(tail,
                {HERALDCTL_PATH, "--node",
                 "127.0.0.1:" + std::to_string(node().node_port()), "--token",
                 node().admin_token(), "events", "tail", "--name", "dies.*",
                 "--for", "60"},
                node().work_dir());
  ASSERT_TRUE(wait_for(
      [&] { return tail.stderr_text().find("tailing") != std::string::npos; },
      10s))
      << tail.stderr_text();
  EXPECT_EQ(client_sessions(http()), 1);
  // kill -9: no goodbye; the node sees the connection drop.
  ::kill(tail.pid, SIGKILL);
  EXPECT_EQ(tail.wait(10s), 128 + SIGKILL);
  EXPECT_TRUE(wait_for([&] { return client_sessions(http()) == 0; }, 10s))
      << client_sessions(http());
}

TEST_F(client_test, heraldctl_automation_delivery_and_admin_commands) {
  auto ok = [&](std::vector<std::string> args) {
    auto r = ctl(args);
    EXPECT_EQ(r.status, 0) << args.at(0) << " " << args.at(1) << ": "
                           << r.stderr_text();
    return r.stdout_text();
  };
  auto as_json = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    auto out = ok(args);
    return json::parse(out, nullptr, false);
  };
  // Workflows and tasks.
  auto w = http().put_json(
      "/api/v1/workflows/hello",
      json::parse(
          R"({"steps":[{"name":"say","emit":{"name":"hello.said"}}]})"));
  ASSERT_TRUE(w.status == 200 || w.status == 201) << w.describe();
  EXPECT_NE(ok({"workflows", "list"}).find("hello"), std::string::npos);
  EXPECT_EQ(as_json({"workflows", "show", "hello"})["id"], "hello");
  auto run = as_json({"workflows", "run", "hello", "--input", R"({"x":1})"});
  ASSERT_TRUE(run.contains("task_id")) << run.dump();
  const auto task = run["task_id"].get<std::string>();
  ASSERT_TRUE(wait_for(
      [&] {
        return as_json({"tasks", "show", task}).value("state", "") ==
               "succeeded";
      },
      10s));
  EXPECT_NE(ok({"tasks", "list"}).find(task), std::string::npos);
  // Cancelling an ended task says what is wrong.
  auto cancel = ctl({"tasks", "cancel", task});
  EXPECT_NE(cancel.status, 0);
  // Triggers.
  auto t = http().put_json(
      "/api/v1/triggers/hourly",
      {{"type", "schedule"}, {"cron", "0 * * * *"}, {"workflow", "hello"}});
  ASSERT_TRUE(t.status == 200 || t.status == 201) << t.describe();
  EXPECT_NE(ok({"triggers", "list"}).find("hourly"), std::string::npos);
  auto preview = as_json({"triggers", "preview", "hourly", "-n", "3"});
  EXPECT_EQ(preview.dump().find("error"), std::string::npos) << preview.dump();
  ok({"triggers", "disable", "hourly"});
  EXPECT_EQ(as_json({"triggers", "show", "hourly"})["enabled"], false);
  ok({"triggers", "enable", "hourly"});
  EXPECT_EQ(as_json({"triggers", "show", "hourly"})["enabled"], true);
  ok({"triggers", "fire", "hourly"});
  ASSERT_TRUE(wait_for(
      [&] {
        return query_all(http(), {{"name", "hello.said"}}).size() >= 2;
      },
      10s));
  // Listeners (none), subscriptions and dead letters.
  ok({"listeners"});
  auto sub = http().put_json(
      "/api/v1/subscriptions/hooks",
      {{"name", "nothing.>"},
       {"destination",
        {{"type", "webhook"}, {"url", "http://127.0.0.1:9/hook"}}}});
  ASSERT_EQ(sub.status, 201) << sub.describe();
  EXPECT_EQ(as_json({"subscriptions", "pause", "hooks"})["state"], "paused");
  EXPECT_EQ(as_json({"subscriptions", "show", "hooks"})["state"], "paused");
  EXPECT_EQ(as_json({"subscriptions", "resume", "hooks"})["state"], "active");
  ok({"dlq", "list", "hooks"});
  EXPECT_EQ(as_json({"dlq", "redrive", "hooks"})["count"], 0);
  // Users and tokens (admin).
  auto u =
      http().put_json("/api/v1/users/carol", {{"password", "a-long-password-1"},
                                              {"roles", {"reader"}}});
  ASSERT_TRUE(u.status == 200 || u.status == 201) << u.describe();
  EXPECT_NE(ok({"users"}).find("carol"), std::string::npos);
  EXPECT_NE(ok({"tokens"}).find("admin"), std::string::npos);
}

TEST_F(client_test, heraldctl_config_set_get_delete) {
  auto s = ctl({"config", "set", "db.url", R"({"url":"x"})"});
  ASSERT_EQ(s.status, 0) << s.stderr_text();
  auto g = ctl({"--json", "config", "get", "db.url"});
  ASSERT_EQ(g.status, 0) << g.stderr_text();
  auto v = json::parse(g.stdout_text());
  EXPECT_EQ(v["value"]["url"], "x");
  EXPECT_EQ(v["version"], 1);
  auto d = ctl({"config", "delete", "db.url"});
  ASSERT_EQ(d.status, 0) << d.stderr_text();
  auto gone = ctl({"config", "get", "db.url"});
  EXPECT_EQ(gone.status, 3) << gone.stderr_text();
  EXPECT_NE(gone.stderr_text().find("not_found"), std::string::npos);
}

TEST_F(client_test, heraldctl_exit_codes) {
  auto bad_flag = ctl({"nodes", "--no-such-flag"});
  EXPECT_EQ(bad_flag.status, 2) << bad_flag.stderr_text();
  auto unknown = ctl({"subscriptions", "show", "no-such-subscription"});
  EXPECT_EQ(unknown.status, 3) << unknown.stderr_text();
  EXPECT_NE(unknown.stderr_text().find("not_found"), std::string::npos)
      << unknown.stderr_text();
  auto bad_token =
      run_process({HERALDCTL_PATH, "--node",
                   "127.0.0.1:" + std::to_string(node().node_port()), "--token",
                   "nope", "events", "query"},
                  node().work_dir());
  EXPECT_EQ(bad_token.status, 3) << bad_token.stderr_text();
  EXPECT_NE(bad_token.stderr_text().find("hint:"), std::string::npos);
  auto actors = ctl({"--json", "actors"});
  ASSERT_EQ(actors.status, 0) << actors.stderr_text();
  auto listed = json::parse(actors.stdout_text(), nullptr, false);
  bool writer = false;
  for (const auto& a : listed.is_object() ? listed["actors"] : listed)
    writer = writer || a.value("kind", "") == "writer";
  EXPECT_TRUE(writer) << actors.stdout_text();
  auto list = ctl({"subscriptions", "list"});
  EXPECT_EQ(list.status, 0) << list.stderr_text();
}

// TLS on the node port (issue 12 point 8): a node started with
// --node-tls-*, clients with a certificate from the same CA.
class client_tls_test : public client_test {
protected:
  client_tls_test() { pki_.make_ca("other"); }

  std::vector<std::string> node_args() const override {
    return {"--node-tls-cert",    node_files_.cert_file, "--node-tls-key",
            node_files_.key_file, "--node-tls-ca",       node_files_.ca_file};
  }

  client::connect_options tls_opts(const protocol::node_tls& tls) {
    auto o = opts(node().admin_token());
    o.tls = tls;
    return o;
  }

  test_pki pki_;
  protocol::node_tls node_files_ = pki_.issue("node");
};

TEST_F(client_tls_test, logs_in_over_tls_and_publishes_and_queries) {
  auto conn = client::connection::connect(tls_opts(pki_.issue("client")));
  ASSERT_TRUE(conn) << runtime::describe(conn.error()).message;
  auto acks = conn->publish({event("client.tls.a", "tls-1")});
  ASSERT_TRUE(acks) << runtime::describe(acks.error()).message;
  protocol::event_query q;
  q.name = "client.tls.*";
  auto page = conn->query(q);
  ASSERT_TRUE(page) << runtime::describe(page.error()).message;
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].id(), "tls-1");
  EXPECT_NE(node().output().find("TLS, peers and clients verified"),
            std::string::npos);
}

TEST_F(client_tls_test, plain_and_foreign_clients_are_refused) {
  auto plain = client::connection::connect(opts(node().admin_token()));
  ASSERT_FALSE(plain);
  EXPECT_EQ(runtime::describe(plain.error()).code, runtime::errc::unavailable);
  // A certificate from another CA is refused by the client's own check
  // before it connects (the node's refusal of one: tests/cluster's
  // basp_link_tls_test, a_client_logs_in_over_tls_and_others_cannot).
  auto stranger = pki_.issue("stranger", "other");
  stranger.ca_file = pki_.pem("ca");
  auto foreign = client::connection::connect(tls_opts(stranger));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(runtime::describe(foreign.error()).code,
            runtime::errc::invalid_parameter);
  EXPECT_EQ(runtime::describe(foreign.error()).field, "cert");
  // A client of another cluster (its own CA) is refused by the node.
  auto other = pki_.issue("elsewhere", "other");
  auto refused = client::connection::connect(tls_opts(other));
  ASSERT_FALSE(refused);
  EXPECT_EQ(runtime::describe(refused.error()).code,
            runtime::errc::unavailable);
  // Incomplete TLS options never leave the client.
  auto half = pki_.issue("half");
  half.ca_file.clear();
  auto incomplete = client::connection::connect(tls_opts(half));
  ASSERT_FALSE(incomplete);
  EXPECT_EQ(runtime::describe(incomplete.error()).field, "ca");
  // The sentinel: the node still takes a good client after all that.
  auto good = client::connection::connect(tls_opts(pki_.issue("client")));
  ASSERT_TRUE(good) << runtime::describe(good.error()).message;
  EXPECT_TRUE(good->publish({event("client.tls.after", "tls-2")}));
}

TEST_F(client_tls_test, heraldctl_takes_the_tls_flags) {
  auto files = pki_.issue_encrypted("ctl", "pw");
  auto pass = node().write_file("ctl.pass", "pw\n");
  std::vector<std::string> tls = {"--tls-cert",
                                  files.cert_file,
                                  "--tls-key",
                                  files.key_file,
                                  "--tls-ca",
                                  files.ca_file,
                                  "--tls-key-passphrase-file",
                                  pass.string()};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), tls.begin(), tls.end());
    return ctl(args);
  };
  auto p = with({"--json", "events", "publish",
                 R"({"name":"ctl.tls","id":"ctl-tls-1"})"});
  ASSERT_EQ(p.status, 0) << p.stderr_text();
  auto q = with({"events", "query", "--name", "ctl.tls"});
  ASSERT_EQ(q.status, 0) << q.stderr_text();
  EXPECT_NE(q.stdout_text().find("ctl-tls-1"), std::string::npos);
  // Without the flags the node port refuses heraldctl (exit 1: not
  // reached); with only some of them it is a usage error (exit 2).
  auto plain = ctl({"events", "publish", "--name", "ctl.plain"});
  EXPECT_EQ(plain.status, 1) << plain.stderr_text();
  auto half = ctl({"--tls-cert", files.cert_file, "events", "publish", "--name",
                   "ctl.half"});
  EXPECT_EQ(half.status, 2) << half.stderr_text();
  EXPECT_NE(half.stderr_text().find("--tls-key"), std::string::npos)
      << half.stderr_text();
}

} // namespace
} // namespace herald::test
