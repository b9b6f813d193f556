// Subscriptions against a real heraldd and a real HTTP receiver on loopback
// (DESIGN §4, seeds 002 and 004): order through an outage, dead letters and
// their re-drive, kill -9 mid-delivery, Standard Webhooks signatures checked
// with OpenSSL's HMAC (not the node's libsodium), Slack's shape, 410,
// pause/resume, 004's project endpoints, bad input.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <mutex>
#include <set>

#include "runtime/base64.hpp"
#include "tests/process/process_fixture.hpp"
#include "tools/http/http_receiver.hpp"

namespace herald::test {
namespace {

using http::http_receiver;
using http::received_request;
using http::receiver_answer;

/// Fast retries: the outage tests take milliseconds, not minutes.
json fast_retry(int max_attempts = 100) {
  return {{"max_attempts", max_attempts},
          {"max_age", "1h"},
          {"initial_backoff", "5ms"},
          {"max_backoff", "40ms"}};
}

class delivery_test : public process_test {
protected:
  json put_sub(const std::string& id, const json& body, int want = 201) {
    auto r = http().put_json("/api/v1/subscriptions/" + id, body);
    EXPECT_EQ(r.status, want) << r.describe();
    return r.json();
  }

  json webhook(const std::string& pattern, int max_attempts = 100) {
    return {{"name", pattern},
            {"destination", {{"type", "webhook"}, {"url", rx.url("/hook")}}},
            {"retry", fast_retry(max_attempts)}};
  }

  /// Publishes `n` events named `name` with data {"n": i}; their ids.
  std::vector<std::string> publish_n(const std::string& name, int n) {
    json batch = json::array();
    for (int i = 0; i < n; ++i)
      batch.push_back({{"name", name}, {"data", {{"n", i}}}});
    auto r = http().post_json(std::string{events_path}, batch);
    EXPECT_TRUE(r.ok()) << r.describe();
    std::vector<std::string> ids;
    auto body = r.json();
    if (body.is_object() && body["events"].is_array())
      for (const auto& e : body["events"])
        ids.push_back(e["id"].get<std::string>());
    EXPECT_EQ(ids.size(), static_cast<size_t>(n)) << r.describe();
    return ids;
  }

  /// The webhook-ids the receiver answered with a 2xx, in arrival order.
  std::vector<std::string> delivered() {
    std::lock_guard guard{mtx};
    return ok_ids;
  }

  /// Answers `status` now, remembering which ids got a 2xx.
  void answer(int status) {
    rx.respond_with([this, status](const received_request& r) {
      if (status >= 200 && status < 300) {
        std::lock_guard guard{mtx};
        auto i = r.headers.find("webhook-id");
        ok_ids.push_back(i == r.headers.end() ? "" : i->second);
      }
      return receiver_answer{status, "", {}, false};
    });
  }

  bool wait_delivered(size_t n, std::chrono::milliseconds deadline = 20s) {
    return wait_for([&] { return delivered().size() >= n; }, deadline);
  }

  http_receiver rx;
  std::mutex mtx;
  std::vector<std::string> ok_ids;
};

/// `ids` without repeats of the element just before (retries of one event).
std::vector<std::string> squeeze(const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids)
    if (out.empty() || out.back() != id)
      out.push_back(id);
  return out;
}

TEST_F(delivery_test, ReceiverDownThenUpGetsEveryEventInOrder) {
  answer(503);
  put_sub("orders", webhook("orders.>"));
  auto ids = publish_n("orders.created", 20);
  // The receiver is down: the first event is retried, nothing after it.
  ASSERT_EQ(ids.size(), 20u);
  ASSERT_TRUE(wait_for([&] { return rx.count() >= 5; }, 20s));
  for (const auto& r : rx.requests())
    EXPECT_EQ(r.headers.at("webhook-id"), ids.front());
  answer(200);
  ASSERT_TRUE(wait_delivered(ids.size()));
  EXPECT_EQ(squeeze(delivered()), ids);
  auto metrics = http().get("/metrics");
  EXPECT_NE(
      metrics.body.find(
          "herald_subscription_delivered_total{subscription=\"orders\"} 20"),
      std::string::npos)
      << metrics.body;
  auto st = http().get("/api/v1/subscriptions/orders").json();
  EXPECT_EQ(st["state"], "active");
  EXPECT_GE(st["failures"].get<uint64_t>(), 5u);
  EXPECT_EQ(st["dead_letters"], 0);
  // failing, then recovered, once each.
  EXPECT_TRUE(wait_for(
      [&] {
        return query_all(http(), {{"name", "subscription.failing"}}).size() ==
               1;
      },
      10s));
  EXPECT_TRUE(wait_for(
      [&] {
        return query_all(http(), {{"name", "subscription.recovered"}}).size() ==
               1;
      },
      10s));
}

TEST_F(delivery_test, AlwaysFailingBecomesDeadLettersThenRedriveInOrder) {
  answer(500);
  put_sub("failing", webhook("jobs.>", 2));
  auto ids = publish_n("jobs.done", 3);
  json page;
  ASSERT_TRUE(wait_for(
      [&] {
        page = http().get("/api/v1/subscriptions/failing/dead-letters").json();
        return page["dead_letters"].size() == 3;
      },
      20s))
      << page.dump();
  for (size_t i = 0; i < 3; ++i) {
    const auto& dl = page["dead_letters"][i];
    EXPECT_EQ(dl["event"]["id"], ids[i]);
    EXPECT_EQ(dl["attempts"], 2);
    EXPECT_EQ(dl["last_error"], "HTTP 500");
    EXPECT_TRUE(dl.contains("first_attempt"));
    EXPECT_TRUE(dl.contains("last_attempt"));
  }
  EXPECT_EQ(query_all(http(), {{"name", "subscription.dead_lettered"}}).size(),
            3u);
  // Paging: one at a time.
  auto first = http().get("/api/v1/subscriptions/failing/dead-letters?limit=1");
  ASSERT_EQ(first.status, 200);
  ASSERT_TRUE(first.json().contains("next"));
  auto second =
      http().get("/api/v1/subscriptions/failing/dead-letters?limit=1&after=" +
                 first.json()["next"].get<std::string>());
  EXPECT_EQ(second.json()["dead_letters"][0]["event"]["id"], ids[1]);

  // The receiver recovers; a re-drive sends them in seq order, same ids.
  answer(200);
  auto redrive = http().post_json(
      "/api/v1/subscriptions/failing/dead-letters/redrive", json::object());
  ASSERT_EQ(redrive.status, 202) << redrive.describe();
  EXPECT_EQ(redrive.json()["count"], 3);
  ASSERT_TRUE(wait_delivered(3));
  EXPECT_EQ(delivered(), ids);
  ASSERT_TRUE(wait_for(
      [&] {
        return http()
            .get("/api/v1/subscriptions/failing/dead-letters")
            .json()["dead_letters"]
            .empty();
      },
      10s));
  std::vector<json> redriven;
  ASSERT_TRUE(wait_for(
      [&] {
        redriven = query_all(http(), {{"name", "subscription.redriven"}});
        return !redriven.empty();
      },
      10s));
  ASSERT_EQ(redriven.size(), 1u);
  EXPECT_EQ(redriven[0]["data"]["count"], 3);
  EXPECT_EQ(redriven[0]["data"]["subscription_id"], "failing");
}

TEST_F(delivery_test, DeadLetterCanBeDeletedById) {
  answer(400); // permanent: dead-lettered at once
  put_sub("perm", webhook("x.>"));
  auto ids = publish_n("x.y", 2);
  ASSERT_TRUE(wait_for(
      [&] {
        return http()
                   .get("/api/v1/subscriptions/perm/dead-letters")
                   .json()["dead_letters"]
                   .size() == 2;
      },
      20s));
  EXPECT_EQ(rx.count(), 2u); // one attempt each
  auto del = http().request(
      "DELETE", "/api/v1/subscriptions/perm/dead-letters/" + ids[0]);
  EXPECT_EQ(del.status, 204) << del.describe();
  auto page = http().get("/api/v1/subscriptions/perm/dead-letters").json();
  ASSERT_EQ(page["dead_letters"].size(), 1u);
  EXPECT_EQ(page["dead_letters"][0]["event"]["id"], ids[1]);
  EXPECT_EQ(http()
                .request("DELETE",
                         "/api/v1/subscriptions/perm/dead-letters/" + ids[0])
                .status,
            404);
}

TEST_F(delivery_test, Kill9MidDeliveryResumesFromTheCursor) {
  // A slow-ish receiver so the crash lands mid-stream.
  std::atomic<int> seen{0};
  rx.respond_with([&](const received_request& r) {
    {
      std::lock_guard guard{mtx};
      ok_ids.push_back(r.headers.at("webhook-id"));
    }
    ++seen;
    return receiver_answer{200, "", {}, false};
  });
  put_sub("durable", webhook("k.>"));
  auto ids = publish_n("k.v", 300);
  ASSERT_TRUE(wait_for([&] { return seen.load() >= 20; }, 20s));
  node().kill9();
  ASSERT_TRUE(node().restart());
  client_.emplace(node().http());
  // Every event arrives (duplicates allowed), and the last delivery of
  // every event comes in seq order.
  ASSERT_TRUE(wait_for(
      [&] {
        auto got = delivered();
        std::set<std::string> unique(got.begin(), got.end());
        return unique.size() == ids.size();
      },
      30s));
  auto got = delivered();
  std::map<std::string, size_t> pos;
  for (size_t i = 0; i < ids.size(); ++i)
    pos[ids[i]] = i;
  // After the restart the stream restarts at the cursor: from the first
  // repeat on, ids go up one by one.
  size_t restart_at = got.size();
  std::set<std::string> before;
  for (size_t i = 0; i < got.size(); ++i) {
    if (before.count(got[i])) {
      restart_at = i;
      break;
    }
    before.insert(got[i]);
  }
  for (size_t i = restart_at + 1; i < got.size(); ++i)
    EXPECT_EQ(pos[got[i]], pos[got[i - 1]] + 1) << "at " << i;
}

std::string hmac_b64(const std::string& key, const std::string& msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out,
       &len);
  return runtime::encode_base64(
      std::string{reinterpret_cast<const char*>(out), len});
}

TEST_F(delivery_test, SignatureVerifiesWithAnIndependentHmac) {
  answer(200);
  auto sub = webhook("signed.>");
  sub["destination"]["headers"] = {{"X-Team", "billing"}};
  auto created = put_sub("signed", sub);
  ASSERT_TRUE(created.contains("secret"));
  const auto secret = created["secret"].get<std::string>();
  ASSERT_TRUE(secret.starts_with("whsec_"));
  // The secret is shown once.
  EXPECT_FALSE(
      http().get("/api/v1/subscriptions/signed").json().contains("secret"));
  auto ids = publish_n("signed.thing", 1);
  ASSERT_TRUE(wait_delivered(1));
  auto r = rx.requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook");
  EXPECT_EQ(r.headers.at("x-team"), "billing");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("webhook-id"), ids[0]);
  const auto ts = r.headers.at("webhook-timestamp");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_LE(std::llabs(std::stoll(ts) - now), 60);
  auto key = runtime::decode_base64(secret.substr(6));
  ASSERT_TRUE(key);
  EXPECT_EQ(r.headers.at("webhook-signature"),
            "v1," + hmac_b64(*key, ids[0] + "." + ts + "." + r.body));
  auto body = json::parse(r.body);
  EXPECT_EQ(body["id"], ids[0]);
  EXPECT_EQ(body["name"], "signed.thing");

  // After a rotation both secrets sign (receivers switch over).
  auto rot = http().post_json("/api/v1/subscriptions/signed/rotate-secret",
                              json::object());
  ASSERT_EQ(rot.status, 200) << rot.describe();
  auto key2 =
      runtime::decode_base64(rot.json()["secret"].get<std::string>().substr(6));
  ASSERT_TRUE(key2);
  auto ids2 = publish_n("signed.thing", 1);
  ASSERT_TRUE(wait_for(
      [&] {
        auto d = delivered();
        return std::find(d.begin(), d.end(), ids2[0]) != d.end();
      },
      20s));
  for (const auto& q : rx.requests()) {
    if (q.headers.at("webhook-id") != ids2[0])
      continue;
    const auto signed_text =
        ids2[0] + "." + q.headers.at("webhook-timestamp") + "." + q.body;
    EXPECT_EQ(q.headers.at("webhook-signature"),
              "v1," + hmac_b64(*key2, signed_text) + " v1," +
                  hmac_b64(*key, signed_text));
  }
}

TEST_F(delivery_test, CloudEventsFormat) {
  answer(200);
  auto sub = webhook("ce.>");
  sub["destination"]["format"] = "cloudevents";
  put_sub("ce", sub);
  auto ids = publish_n("ce.thing", 1);
  ASSERT_TRUE(wait_delivered(1));
  auto r = rx.requests().at(0);
  EXPECT_EQ(r.headers.at("content-type"), "application/cloudevents+json");
  auto body = json::parse(r.body);
  EXPECT_EQ(body["specversion"], "1.0");
  EXPECT_EQ(body["type"], "ce.thing");
  EXPECT_EQ(body["id"], ids[0]);
}

TEST_F(delivery_test, SlackDestinationPostsSlacksShape) {
  answer(200);
  put_sub("slack", {{"name", "deploy.>"},
                    {"destination",
                     {{"type", "slack"},
                      {"url", rx.url("/services/T/B/X")},
                      {"slack_username", "herald"},
                      {"slack_icon", ":rocket:"},
                      {"template", "${event.name} by ${event.data.user}"}}}});
  auto r =
      http().post_json(std::string{events_path},
                       {{"name", "deploy.done"}, {"data", {{"user", "ann"}}}});
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(wait_for([&] { return rx.count() >= 1; }, 20s));
  auto req = rx.requests().at(0);
  EXPECT_EQ(req.target, "/services/T/B/X");
  EXPECT_EQ(json::parse(req.body), json({{"text", "deploy.done by ann"},
                                         {"username", "herald"},
                                         {"icon_emoji", ":rocket:"}}));
}

TEST_F(delivery_test, GoneDisablesTheSubscription) {
  answer(410);
  put_sub("gone", webhook("g.>"));
  publish_n("g.x", 1);
  ASSERT_TRUE(wait_for(
      [&] {
        return http().get("/api/v1/subscriptions/gone").json()["state"] ==
               "disabled";
      },
      20s));
  // The event follows the committed state (stored asynchronously).
  std::vector<json> ev;
  ASSERT_TRUE(wait_for(
      [&] {
        ev = query_all(http(), {{"name", "subscription.disabled"}});
        return !ev.empty();
      },
      20s));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["data"]["subscription_id"], "gone");
  // Resume re-enables it; the event is delivered once the receiver is back.
  answer(200);
  auto res =
      http().post_json("/api/v1/subscriptions/gone/resume", json::object());
  EXPECT_EQ(res.status, 200) << res.describe();
  EXPECT_TRUE(wait_delivered(1));
}

TEST_F(delivery_test, PauseKeepsTheCursorAndResumeDelivers) {
  answer(200);
  put_sub("p", webhook("p.>"));
  auto first = publish_n("p.a", 1);
  ASSERT_TRUE(wait_delivered(1));
  auto paused =
      http().post_json("/api/v1/subscriptions/p/pause", json::object());
  ASSERT_EQ(paused.status, 200) << paused.describe();
  EXPECT_EQ(paused.json()["state"], "paused");
  auto more = publish_n("p.a", 3);
  // The sentinel: a second subscription on the same events delivers them,
  // so they were routable; the paused one has not moved.
  auto other = webhook("p.>");
  other["from_seq"] = 1;
  other["destination"]["url"] = rx.url("/other");
  put_sub("p2", other);
  ASSERT_TRUE(wait_for(
      [&] {
        size_t n = 0;
        for (const auto& r : rx.requests())
          n += r.target == "/other";
        return n >= 4;
      },
      20s));
  for (const auto& r : rx.requests())
    if (r.target == "/hook") {
      EXPECT_EQ(r.headers.at("webhook-id"), first[0]);
    }
  EXPECT_EQ(http().get("/api/v1/subscriptions/p").json()["state"], "paused");
  ASSERT_EQ(
      http().post_json("/api/v1/subscriptions/p/resume", json::object()).status,
      200);
  ASSERT_TRUE(wait_for(
      [&] {
        size_t n = 0;
        for (const auto& r : rx.requests())
          n += r.target == "/hook";
        return n >= 4;
      },
      20s));
}

TEST_F(delivery_test, ScopeAndTopicDecideWhatIsSent) {
  answer(200);
  ASSERT_EQ(
      http()
          .put_json(
              "/api/v1/topics/billing",
              {{"rules", {{{"source", "billing"}}, {{"name", "invoice.*"}}}}})
          .status,
      201);
  put_sub("bytopic",
          {{"topic", "billing"},
           {"scope", "project/a"},
           {"destination", {{"type", "webhook"}, {"url", rx.url("/t")}}},
           {"retry", fast_retry()}});
  json batch = json::array(
      {{{"name", "invoice.paid"}, {"scope", "project/a/x"}}, // rule 2
       {{"name", "other.thing"},
        {"source", "billing"},
        {"scope", "project/a"}},                             // rule 1
       {{"name", "invoice.paid"}, {"scope", "project/ab"}},  // scope no
       {{"name", "other.thing"}, {"scope", "project/a"}},    // no rule
       {{"name", "invoice.sent"}, {"scope", "project/a"}}}); // sentinel
  auto r = http().post_json(std::string{events_path}, batch);
  ASSERT_EQ(r.status, 200);
  auto ids = r.json()["events"];
  ASSERT_TRUE(wait_delivered(3));
  EXPECT_EQ(delivered(), (std::vector<std::string>{ids[0]["id"], ids[1]["id"],
                                                   ids[4]["id"]}));
}

TEST_F(delivery_test, BadInputNamesTheFieldAndStoresNothing) {
  auto bad = [&](json body, const std::string& field) {
    auto r = http().put_json("/api/v1/subscriptions/bad", body);
    EXPECT_TRUE(
        is_api_error(r, 400, {"invalid_field", "invalid_filter"}, field))
        << r.describe();
  };
  json ok = webhook("a.>");
  auto with = [&](const json::json_pointer& p, json v) {
    json b = ok;
    b[p] = std::move(v);
    return b;
  };
  bad(with("/destination/url"_json_pointer, "ftp://x/y"), "/destination/url");
  bad(with("/destination/url"_json_pointer, "not a url"), "/destination/url");
  bad(with("/retry/max_attempts"_json_pointer, 0), "/retry/max_attempts");
  bad(with("/retry/max_attempts"_json_pointer, 101), "/retry/max_attempts");
  bad(with("/retry/max_age"_json_pointer, "8d"), "/retry/max_age");
  bad(with("/retry/max_backoff"_json_pointer, "1ms"), "/retry/max_backoff");
  bad(with("/filter"_json_pointer, json{{"data.x", {{"$nope", 1}}}}),
      "/filter/data.x/$nope");
  json by_topic = ok;
  by_topic.erase("name");
  by_topic["topic"] = "nope";
  bad(by_topic, "/topic");
  json slack = {{"name", "a.>"},
                {"destination",
                 {{"type", "slack"}, {"url", rx.url()}, {"template", "${x"}}}};
  bad(slack, "/destination/template");
  EXPECT_EQ(http().get("/api/v1/subscriptions/bad").status, 404);
  auto t = http().put_json("/api/v1/topics/t", {{"rules", json::array()}});
  EXPECT_TRUE(is_api_error(t, 400, {"invalid_field"}, "/rules"))
      << t.describe();
}

TEST_F(delivery_test, OnlyItsCreatorOrAnAdminSeesAndChangesIt) {
  auto ann = login_as("ann", {"reader"});
  auto bob = login_as("bob", {"reader"});
  auto r = ann.put_json("/api/v1/subscriptions/anns", webhook("a.>"));
  ASSERT_EQ(r.status, 201) << r.describe();
  EXPECT_EQ(bob.get("/api/v1/subscriptions/anns").status, 404);
  EXPECT_EQ(bob.put_json("/api/v1/subscriptions/anns", webhook("b.>")).status,
            403);
  EXPECT_EQ(bob.get("/api/v1/subscriptions").json()["subscriptions"].size(),
            0u);
  EXPECT_EQ(ann.get("/api/v1/subscriptions").json()["subscriptions"].size(),
            1u);
  EXPECT_EQ(http().get("/api/v1/subscriptions/anns").status, 200);
  // Topics need admin.
  EXPECT_EQ(
      ann.put_json("/api/v1/topics/t", {{"rules", {{{"name", "a"}}}}}).status,
      403);
}

TEST_F(delivery_test, DeliversOnlyWhatItsCreatorMaySee) {
  answer(200);
  auto ann = login_as("ann", {"reader"}, {"team-a"});
  ASSERT_EQ(ann.put_json("/api/v1/subscriptions/anns", webhook("v.>")).status,
            201);
  json batch =
      json::array({{{"name", "v.secret"}, {"allowed_groups", {"team-b"}}},
                   {{"name", "v.mine"}, {"allowed_groups", {"team-a"}}}});
  auto r = http().post_json(std::string{events_path}, batch);
  ASSERT_EQ(r.status, 200) << r.describe();
  ASSERT_TRUE(wait_delivered(1));
  EXPECT_EQ(delivered(), std::vector<std::string>{r.json()["events"][1]["id"]});
}

TEST_F(delivery_test, ADeletedCreatorDisablesItsSubscriptions) {
  answer(200);
  auto ann = login_as("ann", {"reader"});
  ASSERT_EQ(ann.put_json("/api/v1/subscriptions/anns", webhook("c.>")).status,
            201);
  ASSERT_EQ(http().request("DELETE", "/api/v1/users/ann").status, 204);
  publish_n("c.x", 1);
  json st;
  ASSERT_TRUE(wait_for(
      [&] {
        st = http().get("/api/v1/subscriptions/anns").json();
        return st["state"] == "disabled";
      },
      20s))
      << st.dump();
  EXPECT_NE(st["reason"].get<std::string>().find("ann"), std::string::npos);
  std::vector<json> ev;
  ASSERT_TRUE(wait_for(
      [&] {
        ev = query_all(http(), {{"name", "subscription.disabled"}});
        return !ev.empty();
      },
      20s));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["data"]["subscription_id"], "anns");
  EXPECT_EQ(rx.count(), 0u);
}

TEST_F(delivery_test, ADeadReceiverDoesNotHoldUpAnotherSubscription) {
  rx.respond_with([this](const received_request& r) {
    if (r.target == "/slow")
      return receiver_answer{200, "", {}, true}; // never answers
    std::lock_guard guard{mtx};
    ok_ids.push_back(r.headers.at("webhook-id"));
    return receiver_answer{};
  });
  auto slow = webhook("s.>");
  slow["destination"]["url"] = rx.url("/slow");
  put_sub("slow", slow);
  put_sub("fast", webhook("s.>"));
  auto ids = publish_n("s.x", 50);
  ASSERT_TRUE(wait_delivered(ids.size()));
  EXPECT_EQ(delivered(), ids);
  // The slow one holds its first event, nothing more.
  size_t slow_requests = 0;
  for (const auto& r : rx.requests())
    slow_requests += r.target == "/slow";
  EXPECT_EQ(slow_requests, 1u);
}

TEST_F(delivery_test, ANodeStopsCleanlyWithADeliveryInFlight) {
  rx.respond_with([](const received_request&) {
    return receiver_answer{200, "", {}, true}; // never answers
  });
  put_sub("hang", webhook("h.>"));
  publish_n("h.x", 1);
  ASSERT_TRUE(wait_for([&] { return rx.count() >= 1; }, 20s));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(node().stop(std::chrono::seconds{15}), 0);
  // The drain bound (10 s) is not spent on the receiver.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds{8});
}

TEST_F(delivery_test, Seed004ProjectSubscriptionsReadAndReplace) {
  answer(200);
  const std::string path = "/api/v1/events/subscriptions/project/shop/";
  auto put = http().put_json(
      path, {{"hook", {{"type", "webhook"}, {"url", rx.url("/004")}}},
             {"chat",
              {{"type", "slack"},
               {"url", rx.url("/slack")},
               {"slack_username", "bot"},
               {"slack_icon", "https://example.com/i.png"}}}});
  ASSERT_EQ(put.status, 200) << put.describe();
  auto got = http().get(path).json();
  EXPECT_EQ(
      got,
      json({{"hook",
             {{"id", "hook"}, {"type", "webhook"}, {"url", rx.url("/004")}}},
            {"chat",
             {{"id", "chat"},
              {"type", "slack"},
              {"url", rx.url("/slack")},
              {"slack_username", "bot"},
              {"slack_icon", "https://example.com/i.png"}}}}));
  // Events under project/shop reach them; others do not (sentinel last).
  json batch = json::array({{{"name", "a.b"}, {"scope", "project/other"}},
                            {{"name", "a.b"}, {"scope", "project/shop/x"}}});
  auto r = http().post_json(std::string{events_path}, batch);
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(wait_for(
      [&] {
        for (const auto& q : rx.requests())
          if (q.target == "/004")
            return true;
        return false;
      },
      20s));
  for (const auto& q : rx.requests())
    if (q.target == "/004") {
      EXPECT_EQ(q.headers.at("webhook-id"), r.json()["events"][1]["id"]);
    }
  // Replace: only chat stays.
  auto put2 = http().put_json(path, json::array({{{"id", "chat"},
                                                  {"type", "slack"},
                                                  {"url", rx.url("/slack")}}}));
  ASSERT_EQ(put2.status, 200) << put2.describe();
  auto got2 = http().get(path).json();
  EXPECT_EQ(got2.size(), 1u);
  EXPECT_TRUE(got2.contains("chat"));
  EXPECT_EQ(http().get("/api/v1/subscriptions/hook").status, 404);
  auto bad =
      http().put_json(path, {{"x", {{"type", "fax"}, {"url", rx.url()}}}});
  EXPECT_TRUE(is_api_error(bad, 400, {"invalid_field"}, "/x/type"))
      << bad.describe();
}

} // namespace
} // namespace herald::test
