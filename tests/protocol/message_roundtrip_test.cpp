// Every type of the `herald` type-ID block (actors/protocol/type_ids.hpp)
// survives CAF's binary serializer: what may cross the node port arrives
// equal. The list of types is walked at compile time, so a type added to
// the block without a sample here does not compile.

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/detail/int_list.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <gtest/gtest.h>

#include "actors/protocol/interfaces.hpp"
#include "actors/protocol/type_ids.hpp"

namespace herald::protocol {
namespace {

v1::Event sample_event(const std::string& id) {
  v1::Event ev;
  ev.set_id(id);
  ev.set_name("iam.user.created");
  ev.set_source("iam");
  ev.set_tenant("acme");
  ev.set_scope("inventory/test/app");
  ev.add_allowed_groups("ops");
  ev.set_data_json(R"({"user":"alice","n":[1,2]})");
  ev.set_seq(42);
  ev.set_node("n1");
  return ev;
}

runtime::content_filter sample_filter() {
  auto f = runtime::content_filter::parse(
      R"({"source":["iam"],"data.n":[{"numeric":[">=",1]}]})");
  EXPECT_TRUE(f);
  return f ? std::move(*f) : runtime::content_filter{};
}

// One non-default value of each type, every field set.
template <class T>
T sample();

template <>
v1::Event sample() {
  return sample_event("e1");
}
template <>
std::vector<v1::Event> sample() {
  return {sample_event("e1"), sample_event("e2")};
}
template <>
event_ptrs sample() {
  return {std::make_shared<const v1::Event>(sample_event("e1")),
          std::make_shared<const v1::Event>(sample_event("e2"))};
}
template <>
runtime::identity sample() {
  return {"alice", {"ops", "dev"}, {"reader", "publisher"}};
}
template <>
publish_result sample() {
  return {"e1", 7, true};
}
template <>
std::vector<publish_result> sample() {
  return {{"e1", 7, true}, {"e2", 8, false}};
}
template <>
event_query sample() {
  event_query q;
  q.name = "iam.*.created";
  q.source = "iam";
  q.tenant = "acme";
  q.user = "alice";
  q.scope = "inventory/test";
  q.since_ns = -5;
  q.until_ns = 1'000'000'000'000;
  q.filter = sample_filter();
  q.after = "cursor";
  q.from_seq = 3;
  q.descending = true;
  q.limit = 17;
  q.scan_budget = 99;
  return q;
}
template <>
query_page sample() {
  return {sample<std::vector<v1::Event>>(), "next-cursor", 12};
}
template <>
definition sample() {
  return {"config/db", R"({"x":1})", 4};
}
template <>
std::vector<definition> sample() {
  return {{"config/a", "1", 1}, {"config/b", "[]", 2}};
}
template <>
definition_change sample() {
  return {"user/alice", std::string{R"({"roles":["admin"]})"}, uint64_t{3},
          uint64_t{9}};
}
template <>
definition_result sample() {
  return {5, {{"e1", 7, false}}};
}
template <>
source_info sample() {
  return {"iam", false, 10, 9, 123456789};
}
template <>
std::vector<source_info> sample() {
  return {{"iam", false, 10, 9, 1}, {"herald", true, 0, 0, 0}};
}
template <>
subscribe_spec sample() {
  return {"s1", std::string{"a.>"}, std::string{"x/y"}, sample_filter(), "q"};
}
template <>
registry_stats sample() {
  return {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
}

// Equality as a receiver would judge it.
/// Element by element, for every vector type of the block (defined below,
/// after the element overloads).
template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b);

bool same(const v1::Event& a, const v1::Event& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}
bool same(const event_ptr& a, const event_ptr& b) {
  return a && b && same(*a, *b);
}
bool same(const runtime::identity& a, const runtime::identity& b) {
  return a.name == b.name && a.groups == b.groups && a.roles == b.roles;
}
bool same(const publish_result& a, const publish_result& b) {
  return a.id == b.id && a.seq == b.seq && a.duplicate == b.duplicate;
}
bool same(const std::optional<runtime::content_filter>& a,
          const std::optional<runtime::content_filter>& b) {
  return a.has_value() == b.has_value() && (!a || a->text() == b->text());
}
bool same(const event_query& a, const event_query& b) {
  return a.name == b.name && a.source == b.source && a.tenant == b.tenant &&
         a.user == b.user && a.scope == b.scope && a.since_ns == b.since_ns &&
         a.until_ns == b.until_ns && same(a.filter, b.filter) &&
         a.after == b.after && a.from_seq == b.from_seq &&
         a.descending == b.descending && a.limit == b.limit &&
         a.scan_budget == b.scan_budget;
}
bool same(const query_page& a, const query_page& b) {
  return same(a.events, b.events) && a.next == b.next &&
         a.last_examined_seq == b.last_examined_seq;
}
bool same(const definition& a, const definition& b) {
  return a.key == b.key && a.value == b.value && a.version == b.version;
}
bool same(const definition_change& a, const definition_change& b) {
  return a.key == b.key && a.value == b.value &&
         a.expect_version == b.expect_version &&
         a.replica_version == b.replica_version;
}
bool same(const definition_result& a, const definition_result& b) {
  return a.version == b.version && same(a.events, b.events);
}
bool same(const source_info& a, const source_info& b) {
  return a.id == b.id && a.enabled == b.enabled && a.events == b.events &&
         a.last_seq == b.last_seq && a.last_accept_ns == b.last_accept_ns;
}
bool same(const subscribe_spec& a, const subscribe_spec& b) {
  return a.id == b.id && a.name == b.name && a.scope == b.scope &&
         same(a.filter, b.filter) && a.queue == b.queue;
}
bool same(const registry_stats& a, const registry_stats& b) {
  return a.local_subscriptions == b.local_subscriptions &&
         a.subscribers == b.subscribers && a.peers == b.peers &&
         a.last_routed_seq == b.last_routed_seq &&
         a.routed_events == b.routed_events && a.deliveries == b.deliveries &&
         a.queue_groups == b.queue_groups &&
         a.queue_handed_over == b.queue_handed_over &&
         a.queue_dropped == b.queue_dropped &&
         a.peer_batches_sent == b.peer_batches_sent &&
         a.peer_events_sent == b.peer_events_sent &&
         a.peer_batches_received == b.peer_batches_received &&
         a.peer_events_received == b.peer_events_received &&
         a.peer_events_dropped == b.peer_events_dropped &&
         a.peer_events_lost == b.peer_events_lost &&
         a.peer_batches_in_flight == b.peer_batches_in_flight &&
         a.peer_events_in_flight == b.peer_events_in_flight &&
         a.peer_events_queued == b.peer_events_queued &&
         a.peer_rejected == b.peer_rejected;
}

template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i]))
      return false;
  return true;
}

template <class T>
void round_trip() {
  SCOPED_TRACE(typeid(T).name());
  T original = sample<T>();
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  ASSERT_FALSE(sink(original));
  ASSERT_FALSE(buf.empty());
  T copy{};
  caf::binary_deserializer source{nullptr, buf};
  ASSERT_FALSE(source(copy));
  EXPECT_TRUE(same(original, copy));
  EXPECT_EQ(source.remaining(), 0u) << "every byte consumed";
}

template <long... Is>
void round_trip_all(caf::detail::int_list<Is...>) {
  (round_trip<typename caf::type_by_id<Is>::type>(), ...);
}

TEST(protocol_messages, every_type_of_the_block_round_trips) {
  using block = caf::id_block::herald;
  static_assert(block::end - block::begin >= 16, "the block lost types");
  round_trip_all(
      typename caf::detail::il_range<block::begin, block::end>::type{});
}

TEST(protocol_messages, a_truncated_event_fails_to_load_instead_of_crashing) {
  auto ev = sample_event("e1");
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  ASSERT_FALSE(sink(ev));
  for (size_t cut = 0; cut < buf.size(); ++cut) {
    std::vector<char> part(buf.begin(),
                           buf.begin() + static_cast<ptrdiff_t>(cut));
    v1::Event copy;
    caf::binary_deserializer source{nullptr, part};
    EXPECT_TRUE(source(copy)) << "cut at " << cut;
  }
}

TEST(protocol_messages, a_filter_that_does_not_compile_fails_the_load) {
  std::string text = R"({"source":"not-a-list"})";
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  ASSERT_FALSE(sink(text)); // the wire form of a filter is its text
  runtime::content_filter f;
  caf::binary_deserializer source{nullptr, buf};
  EXPECT_TRUE(source(f));
}

// A whole request message, as the node port carries it: the types are
// registered by name with the actor system and come back equal.
TEST(protocol_messages, a_request_message_crosses_a_serializer_by_type_name) {
  caf::actor_system_config cfg;
  add_message_types(cfg);
  caf::actor_system sys{cfg};
  auto msg = caf::make_message(query_atom_v, sample<event_query>());
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  ASSERT_FALSE(sink(msg));
  caf::message copy;
  caf::binary_deserializer source{sys, buf};
  ASSERT_FALSE(source(copy));
  ASSERT_TRUE((copy.match_elements<query_atom, event_query>()));
  EXPECT_TRUE(same(copy.get_as<event_query>(1), sample<event_query>()));
}

} // namespace
} // namespace herald::protocol
