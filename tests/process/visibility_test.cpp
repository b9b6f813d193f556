// Group visibility (DESIGN §3, runtime::can_see) by every read path: a caller
// sees an event iff its allowed_groups is empty, shares a group with the
// caller, or the caller is an admin. The acceptance test of the access
// control issue: a reader in group `a` queries, streams and replays a mix of
// events for groups `a`, `b` and none and sees exactly the `a` and ungrouped
// ones by every path (and the events it may not see do not leak, not even
// their existence).

#include <algorithm>
#include <set>

#include <gmock/gmock.h>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

using ::testing::ElementsAreArray;

constexpr std::string_view stream_path = "/api/v1/events/stream";
constexpr std::string_view query_root = "/api/v1/events/query";
constexpr std::string_view inventory_app = "inventory/p/app/1.0";
constexpr std::string_view inventory_other = "inventory/p/app2";
constexpr std::string_view project_dep = "project/p/env/deployment";

/// One event of the mix, in publish (= seq) order.
struct mix_event {
  std::string id;
  std::vector<std::string> groups;
  std::string name;
  std::string scope;
};

/// 4 events for ["a"], 4 for ["b"], 4 for none and 2 for ["a","b"],
/// interleaved so that every page of a small-limit query mixes them, with
/// two names and three scopes spread across the groups.
const std::vector<mix_event>& mix() {
  static const std::vector<mix_event> events = [] {
    const std::vector<std::pair<std::string, std::vector<std::string>>> order{
        {"vis-a-1", {"a"}},       {"vis-b-1", {"b"}},       {"vis-n-1", {}},
        {"vis-ab-1", {"a", "b"}}, {"vis-a-2", {"a"}},       {"vis-b-2", {"b"}},
        {"vis-n-2", {}},          {"vis-b-3", {"b"}},       {"vis-a-3", {"a"}},
        {"vis-n-3", {}},          {"vis-ab-2", {"a", "b"}}, {"vis-b-4", {"b"}},
        {"vis-a-4", {"a"}},       {"vis-n-4", {}}};
    const std::string_view scopes[] = {project_dep, inventory_app,
                                       inventory_other};
    std::vector<mix_event> out;
    for (size_t i = 0; i < order.size(); ++i)
      out.push_back({order[i].first, order[i].second,
                     i % 2 == 0 ? "vis.item.created" : "vis.item.updated",
                     std::string{scopes[i % 3]}});
    return out;
  }();
  return events;
}

/// The hand-written answer for the group-`a` reader: `a`, ungrouped and
/// `a,b` events, in seq order (anchors the computed sets below).
const std::vector<std::string> alice_expected{
    "vis-a-1", "vis-n-1", "vis-ab-1", "vis-a-2", "vis-n-2",
    "vis-a-3", "vis-n-3", "vis-ab-2", "vis-a-4", "vis-n-4"};

std::vector<std::string> all_ids() {
  std::vector<std::string> out;
  for (const auto& e : mix())
    out.push_back(e.id);
  return out;
}

/// Ids of the mix a caller in `groups` (not an admin) may see, narrowed by
/// `keep`, in seq order.
template <class Pred>
std::vector<std::string> visible_ids(const std::vector<std::string>& groups,
                                     Pred keep) {
  std::vector<std::string> out;
  for (const auto& e : mix()) {
    bool visible = e.groups.empty();
    for (const auto& g : e.groups)
      visible =
          visible || std::find(groups.begin(), groups.end(), g) != groups.end();
    if (visible && keep(e))
      out.push_back(e.id);
  }
  return out;
}

std::vector<std::string> visible_ids(const std::vector<std::string>& groups) {
  return visible_ids(groups, [](const mix_event&) { return true; });
}

std::vector<std::string> all_ids_where(bool (*keep)(const mix_event&)) {
  std::vector<std::string> out;
  for (const auto& e : mix())
    if (keep(e))
      out.push_back(e.id);
  return out;
}

bool in_mix(const std::string& id) {
  for (const auto& e : mix())
    if (e.id == id)
      return true;
  return false;
}

/// The allowed groups an event carries in any of the three output shapes
/// (native/004 `allowed_groups` array, CloudEvents `allowedgroups` string).
std::vector<std::string> groups_of(const json& e) {
  std::vector<std::string> out;
  if (!e.is_object())
    return out;
  if (e.contains("allowed_groups") && e["allowed_groups"].is_array()) {
    for (const auto& g : e["allowed_groups"])
      out.push_back(g.is_string() ? g.get<std::string>() : g.dump());
  } else if (e.contains("allowedgroups") && e["allowedgroups"].is_string()) {
    std::string joined = e["allowedgroups"].get<std::string>(), part;
    std::istringstream in(joined);
    while (std::getline(in, part, ','))
      out.push_back(part);
  }
  return out;
}

/// Every event a non-admin caller in `groups` got must be visible to it:
/// this covers Herald's own events too (the admin-only audit trail).
::testing::AssertionResult all_visible(const std::vector<json>& events,
                                       const std::vector<std::string>& groups) {
  for (const auto& e : events) {
    auto allowed = groups_of(e);
    if (allowed.empty())
      continue;
    bool shared = false;
    for (const auto& g : allowed)
      shared =
          shared || std::find(groups.begin(), groups.end(), g) != groups.end();
    if (!shared)
      return ::testing::AssertionFailure()
             << "an event the caller may not see came back: " << e.dump();
  }
  return ::testing::AssertionSuccess();
}

/// Ids of the events of `events` that belong to the mix (or are named in
/// `extra`), in the order given.
std::vector<std::string> mix_ids_of(const std::vector<json>& events,
                                    const std::set<std::string>& extra = {}) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    auto id = e.is_object() ? e.value("id", "") : "";
    if (in_mix(id) || extra.count(id) > 0)
      out.push_back(id);
  }
  return out;
}

const std::vector<std::string> group_a{"a"};

class visibility : public process_test {
protected:
  void SetUp() override {
    process_test::SetUp();
    if (HasFatalFailure())
      return;
    alice_.emplace(login_as("alice", {"a"}));
    ASSERT_FALSE(alice_->bearer_token().empty());
  }

  /// A reader in `groups`, logged in.
  http_client login_as(const std::string& user,
                       const std::vector<std::string>& groups) {
    return process_test::login_as(user, {"reader"}, groups);
  }

  const http_client& alice() const { return *alice_; }

  /// Publishes the mix as one batch with the admin token.
  void publish_mix() {
    json batch = json::array();
    for (const auto& e : mix()) {
      json ev = make_event(e.name, {{"id", e.id},
                                    {"source", "svc"},
                                    {"scope", e.scope},
                                    {"data", {{"id", e.id}}}});
      if (!e.groups.empty())
        ev["allowed_groups"] = e.groups;
      batch.push_back(std::move(ev));
    }
    auto reply = publish_ok(http(), batch);
    ASSERT_TRUE(reply.contains("events")) << reply.dump();
    ASSERT_EQ(reply["events"].size(), mix().size()) << reply.dump();
  }

  /// Publishes one ungrouped event (or one for `groups`) with the admin
  /// token.
  void publish_one(const std::string& id,
                   const std::vector<std::string>& groups = {}) {
    json ev = make_event("vis.marker.n", {{"id", id}, {"source", "svc"}});
    if (!groups.empty())
      ev["allowed_groups"] = groups;
    publish_ok(http(), ev);
  }

  /// Opens a stream as `bearer` (empty: no header); records a failure when
  /// the upgrade is refused.
  std::unique_ptr<ws_client> open(const std::string& bearer,
                                  const header_list& params) {
    auto ws = std::make_unique<ws_client>();
    ws_connect_options options;
    options.bearer = bearer;
    auto up = ws->connect(node().http_port(), with_query(stream_path, params),
                          options);
    EXPECT_TRUE(up.upgraded) << up.describe();
    return ws;
  }

  /// Frames up to and including the event with id `sentinel`; bounded by
  /// `deadline` overall. Records a failure when the sentinel never came.
  std::vector<json> read_until(ws_client& ws, const std::string& sentinel,
                               std::chrono::milliseconds deadline = 15s) {
    std::vector<json> out;
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (out.size() < 100000) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left <= 0ms)
        break;
      auto frame = ws.read_text(left);
      if (!frame)
        break;
      auto e = json::parse(*frame, nullptr, false);
      EXPECT_TRUE(e.is_object()) << "not one JSON event: " << *frame;
      out.push_back(e);
      if (e.is_object() && e.value("id", "") == sentinel)
        return out;
    }
    ADD_FAILURE() << "sentinel " << sentinel << " never arrived (" << out.size()
                  << " frames; " << ws.error() << ")";
    return out;
  }

  /// Every 004 Event `path` answers for `client`, following X-Next-Cursor
  /// with `limit`. Records a failure for anything but bare arrays.
  std::vector<json> query004(const http_client& client, const std::string& path,
                             const std::string& limit = "2") {
    return query004_all(client, path, {{"limit", limit}});
  }

  /// Pages through GET /api/v1/events with `params` + limit=3 as `client`,
  /// checking each page's size; all events.
  std::vector<json> query_paged(const http_client& client, header_list params) {
    params.emplace_back("limit", "3");
    std::vector<json> out;
    std::string after;
    for (int page = 0; page < 1000; ++page) {
      auto p = params;
      if (!after.empty())
        p.emplace_back("after", after);
      auto r = client.get(with_query(events_path, p));
      auto body = r.json();
      EXPECT_EQ(r.status, 200) << r.describe();
      if (r.status != 200 || !body.is_object() || !body.contains("events") ||
          !body["events"].is_array()) {
        ADD_FAILURE() << "bad page: " << r.describe();
        return out;
      }
      EXPECT_LE(body["events"].size(), 3u) << r.describe();
      for (auto& e : body["events"])
        out.push_back(e);
      if (!body.contains("next"))
        return out;
      after = body["next"].get<std::string>();
    }
    ADD_FAILURE() << "more than 1000 pages";
    return out;
  }

  std::optional<http_client> alice_;

  /// After a replay stream `ws` was opened: publishes a hidden and a
  /// visible live event and checks alice got the mix she may see then the
  /// live sentinel, in strictly increasing seq order. The frames.
  std::vector<json> replay_then_live(ws_client& ws) {
    publish_one("vis-live-b", {"b"});
    publish_one("vis-live-end");
    auto frames = read_until(ws, "vis-live-end");
    auto expected = alice_expected;
    expected.push_back("vis-live-end");
    EXPECT_THAT(mix_ids_of(frames, {"vis-live-b", "vis-live-end"}),
                ElementsAreArray(expected));
    EXPECT_TRUE(all_visible(frames, group_a));
    auto seqs = seqs_of(frames);
    EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
    EXPECT_EQ(std::set<int64_t>(seqs.begin(), seqs.end()).size(), seqs.size());
    return frames;
  }
};

TEST_F(visibility, computed_expectation_matches_the_hand_written_one) {
  // Guards the helper every other test relies on.
  EXPECT_THAT(visible_ids(group_a), ElementsAreArray(alice_expected));
  EXPECT_EQ(mix().size(), 14u);
}

TEST_F(visibility, query_pages_show_only_visible_events) {
  publish_mix();
  auto got = query_paged(alice(), {});
  EXPECT_THAT(mix_ids_of(got), ElementsAreArray(alice_expected));
  EXPECT_TRUE(all_visible(got, group_a));
  auto seqs = seqs_of(got);
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  // Descending too, and with the server's default page size.
  auto desc = query_paged(alice(), {{"order", "desc"}});
  std::vector<std::string> reversed(alice_expected.rbegin(),
                                    alice_expected.rend());
  EXPECT_THAT(mix_ids_of(desc), ElementsAreArray(reversed));
  EXPECT_THAT(mix_ids_of(query_all(alice())), ElementsAreArray(alice_expected));
  // The admin sees everything, Herald's admin-only audit events included.
  auto admin = query_paged(http(), {});
  EXPECT_THAT(mix_ids_of(admin), ElementsAreArray(all_ids()));
  bool audit_seen = false;
  for (const auto& e : admin)
    audit_seen = audit_seen || e.value("name", "") == "auth.ok";
  EXPECT_TRUE(audit_seen) << "alice's login is recorded for admins";
  for (const auto& e : got)
    EXPECT_NE(e.value("name", ""), "auth.ok") << "audit events are admin-only";
}

TEST_F(visibility, query_filters_by_name_and_scope_within_visibility) {
  publish_mix();
  auto created = [](const mix_event& e) {
    return e.name == "vis.item.created";
  };
  EXPECT_THAT(mix_ids_of(query_paged(alice(), {{"name", "vis.item.created"}})),
              ElementsAreArray(visible_ids(group_a, created)));
  EXPECT_THAT(mix_ids_of(query_paged(http(), {{"name", "vis.item.created"}})),
              ElementsAreArray(all_ids_where([](const mix_event& e) {
                return e.name == "vis.item.created";
              })));
  EXPECT_THAT(mix_ids_of(query_paged(alice(), {{"name", "vis.*.updated"}})),
              ElementsAreArray(visible_ids(group_a, [](const mix_event& e) {
                return e.name == "vis.item.updated";
              })));
  auto under_inventory_p = [](const mix_event& e) {
    return e.scope.starts_with("inventory/p/");
  };
  EXPECT_THAT(mix_ids_of(query_paged(alice(), {{"scope", "inventory/p"}})),
              ElementsAreArray(visible_ids(group_a, under_inventory_p)));
  EXPECT_THAT(mix_ids_of(query_paged(http(), {{"scope", "inventory/p"}})),
              ElementsAreArray(all_ids_where([](const mix_event& e) {
                return e.scope.starts_with("inventory/p/");
              })));
  auto deployment = [](const mix_event& e) { return e.scope == project_dep; };
  EXPECT_THAT(
      mix_ids_of(query_paged(alice(), {{"scope", std::string{project_dep}},
                                       {"name", "vis.item.created"}})),
      ElementsAreArray(visible_ids(group_a, [&](const mix_event& e) {
        return deployment(e) && created(e);
      })));
  // Sanity: the narrowed sets are proper, non-empty subsets.
  EXPECT_FALSE(visible_ids(group_a, under_inventory_p).empty());
  EXPECT_LT(visible_ids(group_a, under_inventory_p).size(),
            alice_expected.size());
}

TEST_F(visibility, query_in_cloudevents_format) {
  publish_mix();
  auto got = query_paged(alice(), {{"format", "cloudevents"}});
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().value("specversion", ""), "1.0") << got.front().dump();
  EXPECT_THAT(mix_ids_of(got), ElementsAreArray(alice_expected));
  EXPECT_TRUE(all_visible(got, group_a));
  auto admin = query_paged(http(), {{"format", "cloudevents"}});
  EXPECT_THAT(mix_ids_of(admin), ElementsAreArray(all_ids()));
}

TEST_F(visibility, fetch_by_id_hides_existence) {
  publish_mix();
  const auto visible = visible_ids(group_a);
  for (const auto& e : mix()) {
    const std::string path = std::string{events_path} + "/" + e.id;
    EXPECT_EQ(http().get(path).status, 200) << "admin GET " << e.id;
    auto r = alice().get(path);
    const bool may =
        std::find(visible.begin(), visible.end(), e.id) != visible.end();
    if (may) {
      EXPECT_EQ(r.status, 200) << e.id << ": " << r.describe();
      EXPECT_EQ(r.json().value("id", ""), e.id);
      continue;
    }
    EXPECT_TRUE(is_api_error(r, 404, {"not_found"}, std::nullopt)) << e.id;
    // A truly unknown id of the same length: the answers must not differ
    // but for the id itself.
    std::string unknown = e.id;
    unknown[0] = 'z';
    auto u = alice().get(std::string{events_path} + "/" + unknown);
    EXPECT_TRUE(is_api_error(u, 404, {"not_found"}, std::nullopt));
    auto masked = [](std::string body, const std::string& id) {
      for (size_t at = body.find(id); at != std::string::npos;
           at = body.find(id, at))
        body.replace(at, id.size(), "<id>");
      return body;
    };
    EXPECT_EQ(masked(r.body, e.id), masked(u.body, unknown)) << e.id;
    EXPECT_EQ(r.header("content-type"), u.header("content-type"));
    EXPECT_EQ(r.header("content-length"), u.header("content-length"));
    auto ce = alice().get(path + "?format=cloudevents");
    EXPECT_TRUE(is_api_error(ce, 404, {"not_found"}, std::nullopt)) << e.id;
  }
  // The check above covered at least one hidden event.
  EXPECT_LT(visible.size(), mix().size());
}

TEST_F(visibility, seed004_query_paths_show_only_visible_events) {
  publish_mix();
  const std::string root{query_root};
  struct path_case {
    std::string path;
    bool (*keep)(const mix_event&);
  };
  const std::vector<path_case> cases{
      {root + "/", [](const mix_event&) { return true; }},
      {root, [](const mix_event&) { return true; }},
      {root + "/inventory/p/",
       [](const mix_event& e) { return e.scope.starts_with("inventory/p/"); }},
      {root + "/inventory/p/app/1.0",
       [](const mix_event& e) { return e.scope == inventory_app; }},
      {root + "/project/p/env/deployment",
       [](const mix_event& e) { return e.scope == project_dep; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto got = query004(alice(), c.path);
    EXPECT_THAT(mix_ids_of(got),
                ElementsAreArray(visible_ids(group_a, c.keep)));
    EXPECT_TRUE(all_visible(got, group_a));
    EXPECT_FALSE(visible_ids(group_a, c.keep).empty());
    auto admin = query004(http(), c.path, "3");
    EXPECT_THAT(mix_ids_of(admin), ElementsAreArray(all_ids_where(c.keep)));
  }
  // 004's shape carries the groups of what alice may see.
  auto one = query004(alice(), root + "/inventory/p/app/1.0", "100");
  bool saw_grouped = false;
  for (const auto& e : one)
    saw_grouped = saw_grouped || e.contains("allowed_groups");
  EXPECT_TRUE(saw_grouped) << json(one).dump();
}

TEST_F(visibility, live_stream_delivers_only_visible_events) {
  auto ws = open(alice().bearer_token(), {});
  auto admin_ws = open(node().admin_token(), {});
  // The 101 is the subscription's acknowledgement: publish after it.
  publish_mix();
  publish_one("vis-end");
  auto frames = read_until(*ws, "vis-end");
  auto expected = alice_expected;
  expected.push_back("vis-end");
  EXPECT_THAT(mix_ids_of(frames, {"vis-end"}), ElementsAreArray(expected));
  EXPECT_TRUE(all_visible(frames, group_a));
  auto seqs = seqs_of(frames);
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_EQ(std::set<int64_t>(seqs.begin(), seqs.end()).size(), seqs.size())
      << "duplicates";

  auto admin_frames = read_until(*admin_ws, "vis-end");
  auto everything = all_ids();
  everything.push_back("vis-end");
  EXPECT_THAT(mix_ids_of(admin_frames, {"vis-end"}),
              ElementsAreArray(everything));
}

TEST_F(visibility, replay_from_seq_then_live) {
  publish_mix();
  auto ws = open(alice().bearer_token(), {{"from_seq", "1"}});
  auto frames = replay_then_live(*ws);
  auto seqs = seqs_of(frames);
  // Every visible event of the trail up to the sentinel (Herald's own
  // too), exactly once.
  ASSERT_FALSE(frames.empty());
  const auto last = frames.back().value("seq", int64_t{0});
  std::vector<json> trail;
  for (const auto& e : query_all(alice()))
    if (e.value("seq", int64_t{0}) <= last)
      trail.push_back(e);
  EXPECT_EQ(seqs, seqs_of(trail));
}

TEST_F(visibility, replay_since_then_live) {
  // The newest event so far (server clock): everything published after it
  // has a time at or after it.
  auto latest =
      http().get(with_query(events_path, {{"order", "desc"}, {"limit", "1"}}));
  ASSERT_EQ(latest.status, 200) << latest.describe();
  ASSERT_FALSE(latest.json()["events"].empty()) << latest.describe();
  const auto since = latest.json()["events"][0].value("time", "");
  ASSERT_FALSE(since.empty()) << latest.describe();
  publish_mix();
  auto ws = open(alice().bearer_token(), {{"since", since}});
  replay_then_live(*ws);
}

TEST_F(visibility, access_token_parameter_works_like_the_header) {
  // Live, credential in the query only.
  auto live = open("", {{"access_token", alice().bearer_token()}});
  publish_mix();
  publish_one("vis-end");
  auto frames = read_until(*live, "vis-end");
  auto expected = alice_expected;
  expected.push_back("vis-end");
  EXPECT_THAT(mix_ids_of(frames, {"vis-end"}), ElementsAreArray(expected));
  EXPECT_TRUE(all_visible(frames, group_a));

  // Replay, credential in the query only.
  auto replay =
      open("", {{"from_seq", "1"}, {"access_token", alice().bearer_token()}});
  publish_one("vis-live-b", {"b"});
  publish_one("vis-end-2");
  auto replayed = read_until(*replay, "vis-end-2");
  expected.push_back("vis-end-2");
  EXPECT_THAT(mix_ids_of(replayed, {"vis-end", "vis-live-b", "vis-end-2"}),
              ElementsAreArray(expected));
  EXPECT_TRUE(all_visible(replayed, group_a));

  // A bad access_token is refused before the upgrade, as a bad header is.
  ws_client bad;
  auto up = bad.connect(node().http_port(),
                        with_query(stream_path, {{"access_token", "nope"}}));
  EXPECT_FALSE(up.upgraded);
  EXPECT_EQ(up.status, 401) << up.describe();
  ws_client none;
  up = none.connect(node().http_port(), std::string{stream_path});
  EXPECT_FALSE(up.upgraded);
  EXPECT_EQ(up.status, 401) << up.describe();
  // access_token= is for WebSockets only.
  http_client anonymous = node().http();
  anonymous.set_bearer_token("");
  auto r = anonymous.get(
      with_query(events_path, {{"access_token", alice().bearer_token()}}));
  EXPECT_EQ(r.status, 401) << r.describe();
}

TEST_F(visibility, users_in_no_group_and_in_group_b) {
  auto nobody = login_as("nobody", {});
  auto bob = login_as("bob", {"b"});
  ASSERT_FALSE(nobody.bearer_token().empty());
  ASSERT_FALSE(bob.bearer_token().empty());
  const std::vector<std::string> no_groups;
  const std::vector<std::string> group_b{"b"};
  // Live streams opened before the publish.
  auto nobody_ws = open(nobody.bearer_token(), {});
  auto bob_ws = open(bob.bearer_token(), {});
  publish_mix();
  publish_one("vis-end");

  const std::vector<std::string> nobody_expected{"vis-n-1", "vis-n-2",
                                                 "vis-n-3", "vis-n-4"};
  const std::vector<std::string> bob_expected{
      "vis-b-1", "vis-n-1", "vis-ab-1", "vis-b-2", "vis-n-2",
      "vis-b-3", "vis-n-3", "vis-ab-2", "vis-b-4", "vis-n-4"};
  EXPECT_THAT(visible_ids(no_groups), ElementsAreArray(nobody_expected));
  EXPECT_THAT(visible_ids(group_b), ElementsAreArray(bob_expected));

  struct viewer {
    std::string name;
    const http_client* client;
    ws_client* ws;
    const std::vector<std::string>* groups;
    const std::vector<std::string>* expected;
  };
  for (const auto& v :
       {viewer{"nobody", &nobody, nobody_ws.get(), &no_groups,
               &nobody_expected},
        viewer{"bob", &bob, bob_ws.get(), &group_b, &bob_expected}}) {
    SCOPED_TRACE(v.name);
    auto queried = query_paged(*v.client, {});
    EXPECT_THAT(mix_ids_of(queried), ElementsAreArray(*v.expected));
    EXPECT_TRUE(all_visible(queried, *v.groups));
    auto compat = query004(*v.client, std::string{query_root} + "/");
    EXPECT_THAT(mix_ids_of(compat), ElementsAreArray(*v.expected));
    EXPECT_TRUE(all_visible(compat, *v.groups));
    for (const auto& e : mix()) {
      const bool may = std::find(v.expected->begin(), v.expected->end(),
                                 e.id) != v.expected->end();
      auto r = v.client->get(std::string{events_path} + "/" + e.id);
      EXPECT_EQ(r.status, may ? 200 : 404) << e.id << ": " << r.describe();
    }
    auto live = read_until(*v.ws, "vis-end");
    auto expected_live = *v.expected;
    expected_live.push_back("vis-end");
    EXPECT_THAT(mix_ids_of(live, {"vis-end"}), ElementsAreArray(expected_live));
    EXPECT_TRUE(all_visible(live, *v.groups));
    auto replay = open(v.client->bearer_token(), {{"from_seq", "1"}});
    auto sentinel = "vis-replay-end-" + v.name;
    publish_one(sentinel);
    auto replayed = read_until(*replay, sentinel);
    auto expected_replay = expected_live;
    expected_replay.push_back(sentinel);
    EXPECT_THAT(mix_ids_of(replayed, {"vis-end", sentinel}),
                ElementsAreArray(expected_replay));
    EXPECT_TRUE(all_visible(replayed, *v.groups));
  }
}

} // namespace
} // namespace herald::test
