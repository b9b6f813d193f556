// The access rules of DESIGN §3/§4 that a real deployment relies on, on a
// real node: existence does not leak through a publish (409 without a seq),
// a queue group belongs to the principal that opens it, and admin is a
// role, never a group (Herald's auth.* records are for the admin role only).

#include <set>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

constexpr std::string_view stream_path = "/api/v1/events/stream";

class access_rules : public process_test {};

json restricted(const std::string& id, const std::string& group) {
  return make_event("secret.thing",
                    {{"id", id}, {"allowed_groups", json::array({group})}});
}

TEST_F(access_rules, publishing_a_hidden_id_is_a_conflict_without_seq) {
  auto ann = login_as("ann", {"publisher", "reader"}, {"ops"});
  auto bob = login_as("bob", {"publisher", "reader"}, {"dev"});
  auto stored = publish_ok(ann, restricted("sec-1", "ops"));
  ASSERT_TRUE(stored.contains("seq"));
  const auto before = last_seq(http());

  // Alone: 409 conflict on /id, and the reply carries no seq.
  auto alone = bob.post_json(events_path, make_event("x.y", {{"id", "sec-1"}}));
  EXPECT_TRUE(is_api_error(alone, 409, {"conflict"}, "/id"))
      << alone.describe();
  EXPECT_EQ(alone.body.find(std::to_string(stored["seq"].get<int64_t>())),
            std::string::npos)
      << alone.body;
  // In a batch: the whole batch is refused, naming the event.
  auto batch = bob.post_json(
      events_path, json::array({make_event("x.y", {{"id", "bob-new"}}),
                                make_event("x.y", {{"id", "sec-1"}})}));
  EXPECT_TRUE(is_api_error(batch, 409, {"conflict"}, "/1/id"))
      << batch.describe();
  // Through 004's create-event too.
  auto compat = bob.post_json("/internal/create-event",
                              {{"id", "sec-1"}, {"type", "x.y"}});
  EXPECT_TRUE(is_api_error(compat, 409, {"conflict"}, std::nullopt))
      << compat.describe();
  // Nothing was stored.
  EXPECT_EQ(last_seq(http()), before);
  EXPECT_EQ(http().get("/api/v1/events/bob-new").status, 404);

  // A caller who may see the event gets the idempotent reply as before.
  auto again = ann.post_json(events_path, make_event("x.y", {{"id", "sec-1"}}));
  ASSERT_EQ(again.status, 200) << again.describe();
  EXPECT_EQ(again.json().value("seq", int64_t{0}), stored["seq"]);
  EXPECT_TRUE(again.json().value("duplicate", false));
}

TEST_F(access_rules, a_group_named_admin_opens_no_auth_records) {
  // mallory logs in (an auth.ok about her), then looks for auth.* records.
  auto mallory = login_as("mallory", {"reader"}, {"admin"});
  auto admin_view = query_all(http(), {{"name", "auth.>"}});
  ASSERT_FALSE(admin_view.empty()) << "the admin sees the auth records";
  EXPECT_TRUE(query_all(mallory, {{"name", "auth.>"}}).empty());
  for (const auto& ev : admin_view) {
    auto one = mallory.get("/api/v1/events/" + ev["id"].get<std::string>());
    EXPECT_EQ(one.status, 404) << one.describe();
  }
  // A user's own event restricted to a group called admin is an ordinary
  // grouped event: members of that group see it.
  publish_ok(http(), restricted("grp-admin-1", "admin"));
  EXPECT_EQ(mallory.get("/api/v1/events/grp-admin-1").status, 200);
  // The stream and the 004 paths apply the same rule: a replay of
  // everything from seq 1 that ends with a sentinel holds no auth record.
  ws_connect_options o;
  o.bearer = mallory.bearer_token();
  ws_client ws;
  auto up = ws.connect(node().http_port(),
                       with_query(stream_path, {{"from_seq", "1"}}), o);
  ASSERT_TRUE(up.upgraded) << up.describe();
  publish_ok(http(), make_event("sentinel.end", {{"id", "sentinel-1"}}));
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) {
    auto got = read_events(ws, 1);
    ASSERT_EQ(got.size(), 1u) << "the stream ended before the sentinel";
    names.push_back(got[0].value("name", ""));
    if (got[0].value("id", "") == "sentinel-1")
      break;
  }
  ASSERT_EQ(names.back(), "sentinel.end");
  for (const auto& n : names)
    EXPECT_FALSE(n.starts_with("auth.")) << n;
  for (const auto& ev : query004_all(mallory, "/api/v1/events/query/", {}))
    EXPECT_FALSE(ev.value("type", "").starts_with("auth.")) << ev.dump();
}

TEST_F(access_rules, a_queue_group_belongs_to_its_principal) {
  auto alice = login_as("alice", {"reader"});
  auto mallory = login_as("mallory", {"reader"});
  auto open = [&](const http_client& who) {
    auto ws = std::make_unique<ws_client>();
    ws_connect_options o;
    o.bearer = who.bearer_token();
    auto up = ws->connect(
        node().http_port(),
        with_query(stream_path, {{"queue", "workers"}, {"name", "work.>"}}), o);
    EXPECT_TRUE(up.upgraded) << up.describe();
    return ws;
  };
  auto a1 = open(alice);
  auto a2 = open(alice);
  auto m = open(mallory);
  json batch = json::array();
  for (int i = 0; i < 8; ++i)
    batch.push_back(make_event("work.item", {{"id", "w" + std::to_string(i)}}));
  publish_ok(http(), batch);
  // mallory's "workers" is a group of her own: she gets every event and
  // diverts none of alice's.
  auto got_m = read_events(*m, 8);
  EXPECT_EQ(got_m.size(), 8u);
  // alice's two replicas share her events: all 8, each exactly once.
  std::multiset<std::string> alice_ids;
  size_t from_a1 = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (alice_ids.size() < 8 && std::chrono::steady_clock::now() < deadline) {
    if (auto f = a1->read_text(20ms)) {
      alice_ids.insert(json::parse(*f).value("id", ""));
      ++from_a1;
    }
    if (auto f = a2->read_text(20ms))
      alice_ids.insert(json::parse(*f).value("id", ""));
  }
  EXPECT_EQ(alice_ids.size(), 8u);
  EXPECT_EQ(std::set<std::string>(alice_ids.begin(), alice_ids.end()).size(),
            8u)
      << "each event reaches one of alice's members";
  EXPECT_GT(from_a1, 0u);
  EXPECT_LT(from_a1, 8u) << "both replicas take a share";
}

} // namespace
} // namespace herald::test
