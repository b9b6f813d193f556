// Publishing (DESIGN §2, §7 "Publish reply", "Fields", "CloudEvents"): the
// reply shapes, idempotency, and the accepted input shapes (native, seed 001
// envelope, seed 002 lifecycle event, CloudEvents structured and binary).

#include <regex>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

using publish = process_test;

bool is_uuid_v7(const std::string& id) {
  static const std::regex v7(
      "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return std::regex_match(id, v7);
}

json get_event(const http_client& client, const std::string& id) {
  auto r = client.get(std::string(events_path) + "/" + url_encode(id));
  EXPECT_EQ(r.status, 200) << "GET event " << id << ": " << r.describe();
  return r.status == 200 ? r.json() : json();
}

TEST_F(publish, one_event_replies_id_and_seq) {
  auto r = http().post_json(
      events_path, make_event("orders.order.created", {{"id", "o-1"}}));
  ASSERT_TRUE(r.ok()) << r.describe();
  auto reply = r.json();
  ASSERT_TRUE(reply.is_object()) << r.describe();
  EXPECT_EQ(reply.value("id", ""), "o-1");
  ASSERT_TRUE(reply.contains("seq") && reply["seq"].is_number_integer())
      << reply.dump();
  EXPECT_GE(reply["seq"].get<int64_t>(), 1);
  EXPECT_FALSE(reply.value("duplicate", false)) << reply.dump();
  auto stored = get_event(http(), "o-1");
  EXPECT_EQ(stored.value("seq", int64_t{0}), reply["seq"].get<int64_t>());
  EXPECT_EQ(stored.value("name", ""), "orders.order.created");
}

TEST_F(publish, batch_replies_in_input_order) {
  json batch = json::array({make_event("orders.a", {{"id", "b-3"}}),
                            make_event("orders.b", {{"id", "b-1"}}),
                            make_event("orders.c", {{"id", "b-2"}})});
  auto reply = publish_ok(http(), batch);
  ASSERT_TRUE(reply.contains("events") && reply["events"].is_array())
      << reply.dump();
  ASSERT_EQ(reply["events"].size(), 3u) << reply.dump();
  int64_t previous = 0;
  for (size_t i = 0; i < 3; ++i) {
    const auto& ack = reply["events"][i];
    EXPECT_EQ(ack.value("id", ""), batch[i]["id"].get<std::string>());
    auto seq = ack.value("seq", int64_t{0});
    EXPECT_GT(seq, previous) << "seqs follow the input order: " << reply.dump();
    previous = seq;
    EXPECT_EQ(get_event(http(), ack.value("id", "")).value("seq", int64_t{0}),
              seq);
  }
}

TEST_F(publish, same_id_again_is_idempotent) {
  auto event = make_event("orders.order.paid",
                          {{"id", "pay-42"}, {"data", {{"amount", 10}}}});
  auto first = publish_ok(http(), event);
  auto second_reply = http().post_json(events_path, event);
  ASSERT_TRUE(second_reply.ok()) << second_reply.describe();
  auto second = second_reply.json();
  EXPECT_EQ(second.value("id", ""), "pay-42");
  EXPECT_EQ(second.value("seq", int64_t{-1}), first.value("seq", int64_t{-2}));
  EXPECT_EQ(second.value("duplicate", false), true) << second.dump();
  // In a batch too: the stored one is reported, the new one stored.
  auto batch =
      publish_ok(http(), json::array({event, make_event("orders.order.paid",
                                                        {{"id", "pay-43"}})}));
  ASSERT_EQ(batch["events"].size(), 2u) << batch.dump();
  EXPECT_EQ(batch["events"][0].value("seq", int64_t{-1}),
            first.value("seq", int64_t{-2}));
  EXPECT_EQ(batch["events"][0].value("duplicate", false), true) << batch.dump();
  EXPECT_FALSE(batch["events"][1].value("duplicate", false)) << batch.dump();
  auto stored = query_all(http(), {{"name", "orders.order.paid"}});
  ASSERT_EQ(stored.size(), 2u) << json(stored).dump();
  EXPECT_EQ(stored[0].value("id", ""), "pay-42");
  EXPECT_EQ(stored[1].value("id", ""), "pay-43");
}

TEST_F(publish, event_without_id_gets_a_uuid_v7) {
  auto reply = publish_ok(http(), make_event("orders.order.shipped"));
  auto id = reply.value("id", "");
  EXPECT_TRUE(is_uuid_v7(id)) << "not a UUIDv7: " << reply.dump();
  auto stored = only_event_named(http(), "orders.order.shipped");
  EXPECT_EQ(stored.value("id", ""), id);
  EXPECT_EQ(stored.value("kind", ""), "user");
}

TEST_F(publish, native_fields_round_trip_with_time_normalised_to_utc) {
  auto event = make_event(
      "inventory.item.updated",
      {{"id", "n-1"},
       {"source", "inventory"},
       {"time", "2026-11-22T11:00:00.123456789+01:00"},
       {"tenant", "acme"},
       {"user", "alice"},
       {"scope", "inventory/test/app/1.0"},
       {"allowed_groups", {"my-group"}},
       {"traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
       {"data", {{"any", "JSON value"}, {"n", 1.5}, {"list", {1, 2}}}},
       {"seq", 999999},
       {"node", "not-me"}});
  auto reply = publish_ok(http(), event);
  EXPECT_NE(reply.value("seq", int64_t{0}), 999999)
      << "seq is ignored on input";
  auto e = get_event(http(), "n-1");
  EXPECT_EQ(e.value("name", ""), "inventory.item.updated");
  EXPECT_EQ(e.value("source", ""), "inventory");
  EXPECT_EQ(e.value("kind", ""), "user");
  EXPECT_EQ(e.value("time", ""), "2026-11-22T10:00:00.123456789Z");
  EXPECT_EQ(e.value("tenant", ""), "acme");
  EXPECT_EQ(e.value("user", ""), "alice");
  EXPECT_EQ(e.value("scope", ""), "inventory/test/app/1.0");
  EXPECT_EQ(e.value("allowed_groups", json()), json({"my-group"}));
  EXPECT_EQ(e.value("traceparent", ""), event["traceparent"]);
  EXPECT_EQ(e.value("data", json()), event["data"]);
  EXPECT_EQ(e.value("seq", int64_t{0}), reply.value("seq", int64_t{-1}));
  EXPECT_NE(e.value("node", ""), "not-me");
  for (auto& [key, value] : e.items())
    EXPECT_FALSE(value.is_null())
        << "absent fields are omitted, not null: " << key;
}

TEST_F(publish, seed_002_lifecycle_event_is_mapped) {
  auto block =
      text_between(seed_text("002"), "{: #en-example-event}", "{: codeblock}");
  auto original = json::parse(block, nullptr, false);
  ASSERT_TRUE(original.is_object()) << block;
  auto r = http().post(events_path, block); // verbatim
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.json().value("id", ""), "7ca39870-eb1b-6c50-88b1-48c04123494");
  auto e = only_event_named(http(), "resource-controller.instance.create");
  EXPECT_EQ(e.value("id", ""), "7ca39870-eb1b-6c50-88b1-48c04123494");
  EXPECT_EQ(e.value("time", ""), "2022-09-30T16:18:55Z");
  EXPECT_EQ(e.value("tenant", ""), "abcdef2595f4d598c1725d60fc77");
  EXPECT_EQ(e.value("user", ""), "IBMid-xxxxxQExx");
  EXPECT_EQ(e.value("source", ""), "resource-controller");
  EXPECT_EQ(e.value("kind", ""), "user");
  EXPECT_EQ(e.value("data", json()), original) << "data = the whole object";
}

TEST_F(publish, seed_001_envelope_is_mapped) {
  auto envelope = json::parse(R"({
    "headers": {"serviceName": "iam", "createdAt": "2026-11-22T10:00:00Z",
                "name": "iam.user.created"},
    "payload": {"user": "u1", "tenant": "acme", "x": 1}})");
  auto reply = publish_ok(http(), envelope);
  auto e = only_event_named(http(), "iam.user.created");
  EXPECT_EQ(e.value("id", "?"), reply.value("id", "!"));
  EXPECT_EQ(e.value("source", ""), "iam");
  EXPECT_EQ(e.value("time", ""), "2026-11-22T10:00:00Z");
  EXPECT_EQ(e.value("user", ""), "u1");
  EXPECT_EQ(e.value("tenant", ""), "acme");
  EXPECT_EQ(e.value("data", json()), envelope["payload"]) << "data = payload";
}

json cloud_event(const std::string& id, const std::string& type) {
  return {{"specversion", "1.0"},
          {"type", type},
          {"source", "/shop/orders"},
          {"id", id},
          {"time", "2026-03-01T12:00:00+02:00"},
          {"subject", "project/p1/dev"},
          {"tenant", "acme"},
          {"user", "alice"},
          {"datacontenttype", "application/json"},
          {"shopregion", "eu"},
          {"data", {{"order", 7}}}};
}

TEST_F(publish, cloudevents_structured_single_is_mapped) {
  auto ce = cloud_event("ce-1", "shop.order.created");
  auto reply = publish_ok(http(), ce,
                          {{"Content-Type", "application/cloudevents+json"}});
  EXPECT_EQ(reply.value("id", ""), "ce-1");
  auto e = get_event(http(), "ce-1");
  EXPECT_EQ(e.value("name", ""), "shop.order.created");
  EXPECT_EQ(e.value("source", ""), "/shop/orders");
  EXPECT_EQ(e.value("time", ""), "2026-03-01T10:00:00Z");
  EXPECT_EQ(e.value("scope", ""), "project/p1/dev");
  EXPECT_EQ(e.value("tenant", ""), "acme");
  EXPECT_EQ(e.value("user", ""), "alice");
  EXPECT_EQ(e.value("data", json()), ce["data"]);
}

TEST_F(publish, cloudevents_batch_is_accepted_in_order) {
  json batch = json::array({cloud_event("ce-b1", "shop.order.created"),
                            cloud_event("ce-b2", "shop.order.paid")});
  auto reply = publish_ok(
      http(), batch, {{"Content-Type", "application/cloudevents-batch+json"}});
  ASSERT_TRUE(reply.contains("events")) << reply.dump();
  ASSERT_EQ(reply["events"].size(), 2u) << reply.dump();
  EXPECT_EQ(reply["events"][0].value("id", ""), "ce-b1");
  EXPECT_EQ(reply["events"][1].value("id", ""), "ce-b2");
  EXPECT_EQ(get_event(http(), "ce-b2").value("name", ""), "shop.order.paid");
}

TEST_F(publish, cloudevents_binary_mode_is_mapped) {
  auto r = http().post(events_path, R"({"x":1})",
                       {{"Content-Type", "application/json"},
                        {"ce-specversion", "1.0"},
                        {"ce-type", "shop.cart.emptied"},
                        {"ce-source", "/shop/carts"},
                        {"ce-id", "ce-bin-1"},
                        {"ce-time", "2026-03-01T10:00:00Z"},
                        {"ce-subject", "project/p1"},
                        {"ce-tenant", "acme"}});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.json().value("id", ""), "ce-bin-1");
  auto e = get_event(http(), "ce-bin-1");
  EXPECT_EQ(e.value("name", ""), "shop.cart.emptied");
  EXPECT_EQ(e.value("source", ""), "/shop/carts");
  EXPECT_EQ(e.value("time", ""), "2026-03-01T10:00:00Z");
  EXPECT_EQ(e.value("scope", ""), "project/p1");
  EXPECT_EQ(e.value("tenant", ""), "acme");
  EXPECT_EQ(e.value("data", json()), json({{"x", 1}}));
}

TEST_F(publish, cloudevents_output_keeps_extensions) {
  publish_ok(http(), cloud_event("ce-out", "shop.order.created"));
  auto r = http().get(with_query(events_path, {{"name", "shop.order.created"},
                                               {"format", "cloudevents"}}));
  ASSERT_EQ(r.status, 200) << r.describe();
  auto body = r.json();
  ASSERT_TRUE(body.contains("events") && body["events"].size() == 1)
      << r.describe();
  const auto& ce = body["events"][0];
  EXPECT_EQ(ce.value("specversion", ""), "1.0");
  EXPECT_EQ(ce.value("type", ""), "shop.order.created");
  EXPECT_EQ(ce.value("id", ""), "ce-out");
  EXPECT_EQ(ce.value("source", ""), "/shop/orders");
  EXPECT_EQ(ce.value("subject", ""), "project/p1/dev");
  EXPECT_EQ(ce.value("tenant", ""), "acme");
  EXPECT_EQ(ce.value("shopregion", ""), "eu") << "unknown extensions are kept";
  EXPECT_TRUE(ce.contains("heraldseq")) << ce.dump();
  EXPECT_EQ(ce.value("data", json()), json({{"order", 7}}));
}

} // namespace
} // namespace herald::test
