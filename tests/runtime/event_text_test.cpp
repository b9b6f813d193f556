// Shared event texts: the bytes a stream sends are exactly the encoders'
// output, rendered once per event and format however many streams (and
// threads) ask for them.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/event_codec.hpp"
#include "runtime/event_text.hpp"

namespace herald::runtime {
namespace {

v1::Event sample_event() {
  v1::Event ev;
  ev.set_id("e-1");
  ev.set_name("iam.user.created");
  ev.set_source("iam");
  ev.set_time_ns(1'700'000'000'123'456'789);
  ev.set_scope("inventory/test/app");
  ev.add_allowed_groups("g1");
  ev.set_data_json(R"({"plan":"pro"})");
  ev.set_seq(42);
  ev.set_node("n1");
  return ev;
}

TEST(event_text, is_byte_identical_to_the_encoders) {
  auto ev = make_shared_event(sample_event());
  EXPECT_EQ(*event_text(ev, text_format::native), to_native_json_text(*ev));
  EXPECT_EQ(*event_text(ev, text_format::cloudevent),
            to_cloudevent_json_text(*ev));
}

TEST(event_text, renders_once_per_event_and_format) {
  auto ev = make_shared_event(sample_event());
  auto a = event_text(ev, text_format::native);
  auto b = event_text(ev, text_format::native);
  EXPECT_EQ(a.get(), b.get()); // the same bytes, not a copy
  auto ce = event_text(ev, text_format::cloudevent);
  EXPECT_NE(ce.get(), a.get());
  EXPECT_EQ(ce.get(), event_text(ev, text_format::cloudevent).get());
  // Another event never sees this one's texts.
  auto other = make_shared_event(sample_event());
  EXPECT_NE(event_text(other, text_format::native).get(), a.get());
}

TEST(event_text, outlives_the_event_while_a_frame_holds_it) {
  auto ev = make_shared_event(sample_event());
  const auto expected = to_native_json_text(*ev);
  auto text = event_text(ev, text_format::native);
  ev.reset();
  EXPECT_EQ(*text, expected);
}

TEST(event_text, an_event_made_elsewhere_is_rendered_each_time) {
  auto ev = std::make_shared<const v1::Event>(sample_event());
  auto a = event_text(ev, text_format::native);
  EXPECT_EQ(*a, to_native_json_text(*ev));
  EXPECT_NE(a.get(), event_text(ev, text_format::native).get());
}

TEST(event_text, threads_racing_on_one_event_get_the_same_text) {
  auto ev = make_shared_event(sample_event());
  constexpr int threads = 8;
  std::vector<shared_text> got(threads);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] { got[i] = event_text(ev, text_format::native); });
  for (auto& t : pool)
    t.join();
  for (const auto& t : got)
    EXPECT_EQ(t.get(), got[0].get());
  EXPECT_EQ(*got[0], to_native_json_text(*ev));
}

} // namespace
} // namespace herald::runtime
