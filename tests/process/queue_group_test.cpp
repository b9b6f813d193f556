// Queue groups on one node (DESIGN §4 `queue=NAME`): WebSocket streams with
// the same queue share the events: each event reaches exactly one live
// member, members leave and join, plain streams still get everything.

#include <map>
#include <set>
#include <thread>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

constexpr std::string_view stream_path = "/api/v1/events/stream";

/// One WebSocket stream and the event ids it received.
struct member {
  std::unique_ptr<ws_client> ws = std::make_unique<ws_client>();
  std::vector<std::string> ids;
};

class queue_group : public process_test {
protected:
  /// Opens a stream; the 101 means it is subscribed (what is published
  /// after it is routed to it).
  member open(const header_list& params) {
    member m;
    ws_connect_options options;
    options.bearer = node().admin_token();
    auto up = m.ws->connect(node().http_port(), with_query(stream_path, params),
                            options);
    EXPECT_TRUE(up.upgraded) << up.describe();
    return m;
  }

  member join(const std::string& queue = "workers") {
    return open({{"queue", queue}, {"name", "work.>"}});
  }

  /// Publishes `n` events named work.item with ids `<prefix><i>`.
  std::vector<std::string> publish_batch(int n, const std::string& prefix) {
    json batch = json::array();
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(prefix + std::to_string(i));
      batch.push_back(make_event("work.item", {{"id", ids.back()}}));
    }
    publish_ok(http(), batch);
    return ids;
  }
};

/// Reads all `members` in turn until together they received `count` more
/// frames than they had, or nothing arrives for `idle`.
void read_until(std::vector<member*> members, size_t count,
                std::chrono::milliseconds idle = 5s) {
  size_t got = 0;
  auto last = std::chrono::steady_clock::now();
  while (got < count && std::chrono::steady_clock::now() - last < idle) {
    for (auto* m : members) {
      auto frame = m->ws->read_text(20ms);
      if (!frame)
        continue;
      auto ev = json::parse(*frame, nullptr, false);
      EXPECT_TRUE(ev.is_object()) << *frame;
      m->ids.push_back(ev.value("id", ""));
      ++got;
      last = std::chrono::steady_clock::now();
    }
  }
}

/// Every id the members received, sorted; records a failure per duplicate.
std::vector<std::string> union_of(std::vector<member*> members) {
  std::vector<std::string> all;
  for (auto* m : members)
    all.insert(all.end(), m->ids.begin(), m->ids.end());
  std::sort(all.begin(), all.end());
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_NE(all[i - 1], all[i]) << "received by two members";
  return all;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// How many of `ids` the member received.
size_t share(const member& m, const std::vector<std::string>& ids) {
  std::set<std::string> want(ids.begin(), ids.end());
  size_t n = 0;
  for (auto& id : m.ids)
    n += want.count(id);
  return n;
}

TEST_F(queue_group, each_event_reaches_exactly_one_live_member) {
  auto a = join();
  auto b = join();
  auto c = join();
  auto plain = open({{"name", "work.>"}});
  auto first = publish_batch(60, "one-");
  read_until({&a, &b, &c}, 60);
  EXPECT_EQ(union_of({&a, &b, &c}), sorted(first));
  for (auto* m : {&a, &b, &c})
    EXPECT_GT(share(*m, first), 0u) << "a member got no share";

  // a leaves; everything routed to it has been read, so it misses nothing.
  a.ws->close();
  auto second = publish_batch(60, "two-");
  read_until({&b, &c}, 60);
  EXPECT_EQ(share(b, second) + share(c, second), 60u);
  EXPECT_GT(share(b, second), 0u);
  EXPECT_GT(share(c, second), 0u);

  // d joins and takes its turn.
  auto d = join();
  auto third = publish_batch(60, "three-");
  read_until({&b, &c, &d}, 60);
  EXPECT_GT(share(d, third), 0u);
  EXPECT_EQ(share(b, third) + share(c, third) + share(d, third), 60u);

  auto all = first;
  all.insert(all.end(), second.begin(), second.end());
  all.insert(all.end(), third.begin(), third.end());
  EXPECT_EQ(union_of({&a, &b, &c, &d}), sorted(all))
      << "every event exactly once across the members that were live";

  // The plain stream is not in the group: it got every event, in order.
  read_until({&plain}, all.size());
  EXPECT_EQ(plain.ids, all);
  for (auto* m : {&b, &c, &d, &plain}) {
    auto extra = m->ws->read_text(200ms);
    EXPECT_FALSE(extra.has_value()) << "unexpected frame: " << *extra;
  }
}

TEST_F(queue_group, groups_are_independent) {
  auto a1 = join("alpha");
  auto a2 = join("alpha");
  auto b1 = join("beta");
  auto ids = publish_batch(20, "x-");
  read_until({&a1, &a2, &b1}, 40);
  EXPECT_EQ(union_of({&a1, &a2}), sorted(ids));
  EXPECT_EQ(b1.ids, ids) << "the only member of beta gets all, in order";
}

TEST_F(queue_group, queue_with_replay_is_refused) {
  for (auto replay :
       {header_list{{"queue", "w"}, {"from_seq", "1"}},
        header_list{{"queue", "w"}, {"since", "2024-01-01T00:00:00Z"}}}) {
    ws_client ws;
    ws_connect_options options;
    options.bearer = node().admin_token();
    auto up = ws.connect(node().http_port(), with_query(stream_path, replay),
                         options);
    EXPECT_FALSE(up.upgraded);
    EXPECT_EQ(up.status, 400);
    auto err = json::parse(up.body, nullptr, false);
    ASSERT_TRUE(err.is_object()) << up.body;
    EXPECT_EQ(err["error"]["code"], "invalid_parameter");
    EXPECT_EQ(err["error"]["field"], "queue");
  }
}

} // namespace
} // namespace herald::test
