// Queries across a cluster (DESIGN §6, issue 12 point 5) on three real
// heraldd nodes and a real etcd: a query on any node merges every live
// node's events by (time, node, seq), pages through a cluster cursor with
// each event exactly once, keeps each node's visibility (the caller's own
// credential is what each node checks), and says which nodes a reply
// misses when one is killed or does not answer in time. Fetches by id and
// seed 004's query paths too. Bounded in time; every process is stopped by
// its PID.

#include <signal.h>

#include <set>

#include "tests/process/cluster_fixture.hpp"

namespace herald::test {
namespace {

constexpr int items = 9;

/// The time of item `k`: one second apart, so the merged order is k's.
std::string item_time(int k) {
  return "2030-01-01T00:00:0" + std::to_string(k) + "Z";
}

class cluster_query_test : public cluster_fixture {
protected:
  /// Item k (id "q-k", name q.item, scope inventory/p/a) is published on
  /// node k % 3: every node holds three, interleaved in time.
  void publish_items() {
    for (int k = 0; k < items; ++k) {
      auto r = api(static_cast<size_t>(k % 3))
                   .post_json(events_path, {{"id", "q-" + std::to_string(k)},
                                            {"name", "q.item"},
                                            {"scope", "inventory/p/a"},
                                            {"time", item_time(k)},
                                            {"data", {{"k", k}}}});
      ASSERT_EQ(r.status, 200) << r.describe();
    }
  }

  /// Follows `next` from `path` (parameters included; the first `after`
  /// is `from` when given) on `c`; each page's body is appended to
  /// `pages`. The events of all pages, in order.
  std::vector<json> follow(const http_client& c, const std::string& path,
                           std::vector<json>* pages = nullptr,
                           std::string from = {}) {
    std::vector<json> out;
    std::string after = std::move(from);
    for (int page = 0; page < 100; ++page) {
      const std::string target =
          after.empty() ? path : path + "&after=" + url_encode(after);
      auto r = c.get(target);
      const auto body = r.json();
      if (r.status != 200 || !body.contains("events")) {
        ADD_FAILURE() << target << ": " << r.describe();
        return out;
      }
      if (pages)
        pages->push_back(body);
      for (const auto& e : body["events"])
        out.push_back(e);
      if (!body.contains("next"))
        return out;
      after = body["next"].get<std::string>();
    }
    ADD_FAILURE() << "more than 100 pages";
    return out;
  }

  static std::vector<std::string> ids(const std::vector<json>& evs) {
    std::vector<std::string> out;
    for (const auto& e : evs)
      out.push_back(e["id"].get<std::string>());
    return out;
  }

  static std::vector<std::string> item_ids(bool desc = false) {
    std::vector<std::string> out;
    for (int k = 0; k < items; ++k)
      out.push_back("q-" + std::to_string(desc ? items - 1 - k : k));
    return out;
  }

  /// Logs `user` in on node `i` (the user came through etcd: retried until
  /// that node has it) and returns a client of node `i` with the JWT.
  http_client login(size_t i, const std::string& user) {
    http_client anon(node(i).http_port());
    std::string jwt;
    EXPECT_TRUE(wait_for(
        [&] {
          auto r =
              anon.post_json("/api/v1/auth/login",
                             {{"username", user}, {"password", "pw-pw-pw"}});
          if (r.status != 200)
            return false;
          jwt = r.json()["token"].get<std::string>();
          return true;
        },
        10s));
    http_client c(node(i).http_port());
    c.set_bearer_token(jwt);
    return c;
  }
};

TEST_F(cluster_query_test, a_query_on_one_node_merges_and_pages_every_node) {
  ASSERT_NO_FATAL_FAILURE(start_three_up());
  ASSERT_NO_FATAL_FAILURE(publish_items());

  // One page from n2: all nine, in time order, each saying where it is.
  auto r = api(1).get("/api/v1/events?name=q.item");
  ASSERT_EQ(r.status, 200) << r.describe();
  auto body = r.json();
  EXPECT_FALSE(body.contains("next")) << body.dump();
  EXPECT_FALSE(body.contains("partial")) << body.dump();
  std::vector<json> all(body["events"].begin(), body["events"].end());
  EXPECT_EQ(ids(all), item_ids());
  for (int k = 0; k < static_cast<int>(all.size()); ++k)
    EXPECT_EQ(all[static_cast<size_t>(k)]["node"],
              "n" + std::to_string(k % 3 + 1));
  auto desc = api(1).get("/api/v1/events?name=q.item&order=desc").json();
  EXPECT_EQ(ids({desc["events"].begin(), desc["events"].end()}),
            item_ids(true));

  // Pages of two from n3, both orders: each event once, in order.
  for (bool d : {false, true}) {
    std::vector<json> pages;
    auto paged = follow(api(2),
                        std::string{"/api/v1/events?name=q.item&limit=2"} +
                            (d ? "&order=desc" : ""),
                        &pages);
    EXPECT_EQ(ids(paged), item_ids(d));
    EXPECT_EQ(pages.size(), 5u);
    for (const auto& p : pages) {
      if (p.contains("next")) {
        EXPECT_EQ(p["next"].get<std::string>().rfind("c1.", 0), 0u);
      }
    }
  }
  // CloudEvents too: heraldnode says where.
  auto ce = api(0).get("/api/v1/events?name=q.item&format=cloudevents&limit=3");
  ASSERT_EQ(ce.status, 200) << ce.describe();
  auto ce_body = ce.json();
  ASSERT_EQ(ce_body["events"].size(), 3u);
  EXPECT_EQ(ce_body["events"][1]["id"], "q-1");
  EXPECT_EQ(ce_body["events"][1]["heraldnode"], "n2");
  auto ce_rest =
      follow(api(0), "/api/v1/events?name=q.item&format=cloudevents&limit=3",
             nullptr, ce_body["next"].get<std::string>());
  EXPECT_EQ(ce_rest.size(), 6u);

  // Marked local-only, a node answers from its own trail; its node cursor
  // keeps working on that node alone.
  auto local = api(1).get("/api/v1/events?name=q.item&limit=1",
                          {{"X-Herald-Fanout", "local"}});
  ASSERT_EQ(local.status, 200) << local.describe();
  auto local_body = local.json();
  ASSERT_EQ(local_body["events"].size(), 1u);
  EXPECT_EQ(local_body["events"][0]["id"], "q-1");
  auto rest = follow(api(1), "/api/v1/events?name=q.item", nullptr,
                     local_body["next"].get<std::string>());
  EXPECT_EQ(ids(rest), (std::vector<std::string>{"q-4", "q-7"}));

  // Cursors that are not one: 400 invalid_cursor, as for one node.
  auto asc_cursor = api(1).get("/api/v1/events?name=q.item&limit=2").json();
  for (const std::string& bad :
       {std::string{"c1.garbage!"}, std::string{"c1.e30"}, std::string{"c1."},
        std::string{"not-a-cursor"}}) {
    auto b = api(1).get("/api/v1/events?name=q.item&after=" + url_encode(bad));
    EXPECT_EQ(b.status, 400) << bad;
    EXPECT_EQ(b.json()["error"]["code"], "invalid_cursor") << b.describe();
  }
  auto wrong_order =
      api(1).get("/api/v1/events?name=q.item&order=desc&after=" +
                 url_encode(asc_cursor["next"].get<std::string>()));
  EXPECT_EQ(wrong_order.status, 400) << wrong_order.describe();
  EXPECT_EQ(wrong_order.json()["error"]["code"], "invalid_cursor");

  // A fetch by id finds an event stored on another node.
  auto f = api(1).get("/api/v1/events/q-0");
  ASSERT_EQ(f.status, 200) << f.describe();
  EXPECT_EQ(f.json()["node"], "n1");
  auto fce = api(1).get("/api/v1/events/q-2?format=cloudevents");
  ASSERT_EQ(fce.status, 200) << fce.describe();
  EXPECT_EQ(fce.json()["heraldnode"], "n3");
  auto none = api(1).get("/api/v1/events/no-such-event");
  EXPECT_EQ(none.status, 404) << none.describe();
  EXPECT_EQ(none.json()["error"]["code"], "not_found");

  // Seed 004's paths: the same merge, X-Next-Cursor, and each event's node.
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto q = api(0).get("/api/v1/events/query/inventory/p/?limit=4" +
                        (after.empty() ? "" : "&after=" + url_encode(after)));
    ASSERT_EQ(q.status, 200) << q.describe();
    EXPECT_EQ(q.headers.count("x-herald-partial"), 0u);
    for (const auto& e : q.json()) {
      seen.push_back(e["id"].get<std::string>());
      EXPECT_TRUE(e.contains("node")) << e.dump();
    }
    auto next = q.headers.find("x-next-cursor");
    if (next == q.headers.end())
      break;
    after = next->second;
  }
  EXPECT_EQ(seen, item_ids());
}

TEST_F(cluster_query_test, each_node_applies_the_callers_visibility) {
  ASSERT_NO_FATAL_FAILURE(start_three_up());
  for (auto [name, groups] :
       {std::pair{"bob", json::array()}, std::pair{"vera", json{"vault"}}}) {
    auto put = api(0).put_json(
        std::string{"/api/v1/users/"} + name,
        {{"password", "pw-pw-pw"}, {"roles", {"reader"}}, {"groups", groups}});
    ASSERT_EQ(put.status, 201) << put.describe();
  }
  // On each node: one event only group vault may see, then one everybody
  // may: the second shows that node's part was in the reply.
  for (size_t i = 0; i < 3; ++i) {
    const auto n = std::to_string(i + 1);
    auto h = api(i).post_json(events_path, {{"id", "hidden-" + n},
                                            {"name", "v.item"},
                                            {"allowed_groups", {"vault"}}});
    ASSERT_EQ(h.status, 200) << h.describe();
    auto o = api(i).post_json(events_path,
                              {{"id", "open-" + n}, {"name", "v.item"}});
    ASSERT_EQ(o.status, 200) << o.describe();
  }
  // bob's JWT (from n1) reaches n2 and n3 as bob: none of the hidden ones.
  auto bob = login(0, "bob");
  auto seen = follow(bob, "/api/v1/events?name=v.item&limit=2");
  std::set<std::string> got;
  for (const auto& e : seen)
    got.insert(e["id"].get<std::string>());
  EXPECT_EQ(got, (std::set<std::string>{"open-1", "open-2", "open-3"}));
  EXPECT_EQ(seen.size(), 3u);
  // Hidden on another node is 404, as hidden here is.
  auto hidden = bob.get("/api/v1/events/hidden-3");
  EXPECT_EQ(hidden.status, 404) << hidden.describe();
  // vera (group vault, logged in on n3) sees all six from n3.
  auto vera = login(2, "vera");
  auto all = follow(vera, "/api/v1/events?name=v.item");
  EXPECT_EQ(all.size(), 6u);
  EXPECT_EQ(vera.get("/api/v1/events/hidden-1").status, 200);
}

TEST_F(cluster_query_test, the_scope_tree_holds_every_nodes_scopes) {
  ASSERT_NO_FATAL_FAILURE(start_three_up());
  auto put = api(0).put_json("/api/v1/users/bob", {{"password", "pw-pw-pw"},
                                                   {"roles", {"reader"}},
                                                   {"groups", json::array()}});
  ASSERT_EQ(put.status, 201) << put.describe();
  // Node i stores project/n<i>/x, and vault/n<i> that bob may not see.
  for (size_t i = 0; i < 3; ++i) {
    const auto n = std::to_string(i + 1);
    auto r = api(i).post_json(
        events_path,
        json::array({{{"name", "t.item"}, {"scope", "project/n" + n + "/x"}},
                     {{"name", "t.item"},
                      {"scope", "vault/n" + n},
                      {"allowed_groups", {"vault"}}}}));
    ASSERT_EQ(r.status, 200) << r.describe();
  }
  const json projects{"project/n1", "project/n2", "project/n3"};
  auto whole = api(1).get("/api/v1/scopes?parent=project");
  ASSERT_EQ(whole.status, 200) << whole.describe();
  EXPECT_EQ(whole.json()["scopes"], projects);
  EXPECT_FALSE(whole.json().contains("partial"));
  // Paged one at a time from n3: each page resumes where the last ended.
  json paged = json::array();
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto r = api(2).get("/api/v1/scopes?parent=project&limit=1" +
                        (after.empty() ? "" : "&after=" + url_encode(after)));
    ASSERT_EQ(r.status, 200) << r.describe();
    const auto body = r.json();
    for (const auto& s : body["scopes"])
      paged.push_back(s);
    if (!body.contains("next"))
      break;
    after = body["next"].get<std::string>();
  }
  EXPECT_EQ(paged, projects);
  // bob sees no node's vault.
  auto bob = login(0, "bob");
  EXPECT_EQ(bob.get("/api/v1/scopes").json()["scopes"], json{"project"});
  EXPECT_EQ(api(0).get("/api/v1/scopes").json()["scopes"],
            json({"project", "vault"}));
}

TEST_F(cluster_query_test, a_reply_without_a_node_says_partial_and_which) {
  for (auto id : {"n1", "n2", "n3"})
    add_node(id, {"--query-fanout-timeout", "1s"});
  ASSERT_FALSE(HasFailure());
  for (size_t i = 0; i < 3; ++i)
    ASSERT_TRUE(wait_for([&] { return sees(i, all_); }, 10s));
  ASSERT_NO_FATAL_FAILURE(publish_items());
  auto whole = api(0).get("/api/v1/events?name=q.item").json();
  ASSERT_EQ(whole["events"].size(), static_cast<size_t>(items));
  EXPECT_FALSE(whole.contains("partial"));

  // A node that does not answer in time (stopped, its socket still open)
  // is left out after the deadline.
  ASSERT_EQ(::kill(node(1).pid(), SIGSTOP), 0);
  const auto asked = std::chrono::steady_clock::now();
  auto slow = api(0).get("/api/v1/events?name=q.item");
  const auto took = std::chrono::steady_clock::now() - asked;
  ASSERT_EQ(::kill(node(1).pid(), SIGCONT), 0);
  ASSERT_EQ(slow.status, 200) << slow.describe();
  auto slow_body = slow.json();
  EXPECT_EQ(slow_body["partial"], true) << slow_body.dump();
  EXPECT_EQ(slow_body["missing"], json{"n2"});
  EXPECT_EQ(slow_body["events"].size(), 6u);
  EXPECT_LT(took, 5s);
  EXPECT_GE(took, 900ms) << "the deadline is 1 s";

  // n2 answers again (on a loaded machine it may take a moment after
  // SIGCONT: the deadline is 1 s).
  ASSERT_TRUE(wait_for(
      [&] {
        return !api(0)
                    .get("/api/v1/events?name=q.item")
                    .json()
                    .contains("partial");
      },
      10s));

  // Killed: its events are missing and the reply says so, on every path.
  node(2).kill9();
  auto r = api(0).get("/api/v1/events?name=q.item");
  ASSERT_EQ(r.status, 200) << r.describe();
  auto body = r.json();
  EXPECT_EQ(body["partial"], true) << body.dump();
  EXPECT_EQ(body["missing"], json{"n3"}) << body.dump();
  // n1's and n2's items are there (so their parts were), n3's are not.
  std::vector<std::string> expected;
  for (int k = 0; k < items; ++k)
    if (k % 3 != 2)
      expected.push_back("q-" + std::to_string(k));
  EXPECT_EQ(ids({body["events"].begin(), body["events"].end()}), expected);
  // Once the others see it down, it is still missing (not asked).
  ASSERT_TRUE(wait_for([&] { return sees(0, {"n1", "n2"}); }, 10s));
  auto later = api(0).get("/api/v1/events?name=q.item&limit=2");
  auto later_body = later.json();
  EXPECT_EQ(later_body["missing"], json{"n3"}) << later.describe();
  auto paged = follow(api(0), "/api/v1/events?name=q.item&limit=2");
  EXPECT_EQ(ids(paged), expected);

  auto tree = api(0).get("/api/v1/scopes?parent=inventory/p");
  ASSERT_EQ(tree.status, 200) << tree.describe();
  EXPECT_EQ(tree.json()["scopes"], json{"inventory/p/a"});
  EXPECT_EQ(tree.json()["missing"], json{"n3"}) << tree.describe();

  auto q004 = api(1).get("/api/v1/events/query/inventory/p/");
  ASSERT_EQ(q004.status, 200) << q004.describe();
  EXPECT_EQ(q004.headers["x-herald-partial"], "n3");
  EXPECT_EQ(q004.json().size(), expected.size());

  // An id stored on the dead node: nobody that answered has it, and the
  // node that might is named: 503.
  auto gone = api(0).get("/api/v1/events/q-2");
  EXPECT_EQ(gone.status, 503) << gone.describe();
  EXPECT_EQ(gone.json()["error"]["code"], "unavailable");
  EXPECT_EQ(gone.headers["x-herald-partial"], "n3");
  EXPECT_EQ(api(0).get("/api/v1/events/q-1").status, 200);
}

} // namespace
} // namespace herald::test
