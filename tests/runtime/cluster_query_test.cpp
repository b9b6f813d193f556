#include "runtime/cluster_query.hpp"

#include <set>

#include <gtest/gtest.h>

#include "runtime/errc.hpp"
#include "runtime/query_cursor.hpp"

namespace herald::runtime {
namespace {

v1::Event ev(const std::string& node, uint64_t seq, int64_t time) {
  v1::Event e;
  e.set_id(node + "-" + std::to_string(seq));
  e.set_name("t.x");
  e.set_node(node);
  e.set_seq(seq);
  e.set_time_ns(time);
  return e;
}

std::vector<std::string> ids(const std::vector<v1::Event>& evs) {
  std::vector<std::string> out;
  for (const auto& e : evs)
    out.push_back(e.id());
  return out;
}

void expect_invalid(std::string_view text, bool desc) {
  auto c = decode_cluster_cursor(text, desc);
  ASSERT_FALSE(c) << text;
  auto e = describe(c.error());
  EXPECT_EQ(e.code, errc::invalid_cursor) << text;
  EXPECT_EQ(e.field, "after") << text;
}

TEST(cluster_cursor, round_trips_positions_in_both_orders) {
  for (bool desc : {false, true}) {
    cluster_cursor c;
    c.descending = desc;
    c.nodes["n1"] = {encode_cursor({desc, 42}), false};
    c.nodes["n2"] = {"", true};
    c.nodes["n3"] = {"", false};
    auto text = encode_cluster_cursor(c);
    EXPECT_TRUE(is_cluster_cursor(text));
    EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                     "opqrstuvwxyz0123456789-_",
                                     cluster_cursor_prefix.size()),
              std::string::npos)
        << text;
    auto back = decode_cluster_cursor(text, desc);
    ASSERT_TRUE(back) << describe(back.error()).message;
    EXPECT_EQ(*back, c);
  }
}

TEST(cluster_cursor, a_node_cursor_is_not_one) {
  EXPECT_FALSE(is_cluster_cursor(encode_cursor({false, 7})));
  expect_invalid(encode_cursor({false, 7}), false);
}

TEST(cluster_cursor, rejects_the_other_order) {
  cluster_cursor c;
  c.nodes["n1"] = {"", true};
  expect_invalid(encode_cluster_cursor(c), true);
  c.descending = true;
  expect_invalid(encode_cluster_cursor(c), false);
}

TEST(cluster_cursor, rejects_garbage) {
  const std::string p{cluster_cursor_prefix};
  auto b64 = [](std::string_view json) {
    // encode_cluster_cursor's own encoding of arbitrary JSON: via a
    // cursor whose bytes we replace is not possible, so spell it out.
    static const char* alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char ch : json) {
      acc = (acc << 8) | ch;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out.push_back(alphabet[(acc >> bits) & 63]);
      }
    }
    if (bits > 0)
      out.push_back(alphabet[(acc << (6 - bits)) & 63]);
    return out;
  };
  for (std::string text :
       {std::string{""}, p, p + "!!!!", p + "a+b/", p + b64("[]"),
        p + b64("not json"), p + b64(R"({"o":"a"})"),
        p + b64(R"({"o":"x","n":{}})"), p + b64(R"({"o":"a","n":[]})"),
        p + b64(R"({"o":"a","n":{},"x":1})"),
        p + b64(R"({"o":"a","n":{"n1":{"done":false}}})"),
        p + b64(R"({"o":"a","n":{"n1":{"after":"AAAA"}}})"),
        p + b64(R"({"o":"a","n":{"n1":{"after":7}}})"),
        p + b64(R"({"o":"a","n":{"n1":{"x":1}}})"),
        p + b64(R"({"o":"a","n":{"n1":{"done":true,"after":""}}})"),
        p + b64(R"({"o":"a","n":{"":{}}})"),
        p + b64(R"({"o":"a","n":{"n1":"x"}})")})
    expect_invalid(text, false);
  // A node cursor of the other order inside.
  expect_invalid(p + b64(R"({"o":"a","n":{"n1":{"after":")" +
                         encode_cursor({true, 3}) + R"("}}})"),
                 false);
  // The same shape with a good cursor is accepted.
  auto ok = decode_cluster_cursor(p + b64(R"({"o":"a","n":{"n1":{"after":")" +
                                          encode_cursor({false, 3}) +
                                          R"("},"n2":{}}})"),
                                  false);
  ASSERT_TRUE(ok) << describe(ok.error()).message;
  EXPECT_EQ(ok->nodes.size(), 2u);
}

TEST(merge_pages, orders_by_time_then_node_then_seq) {
  cluster_cursor from;
  std::vector<node_page> pages{
      {"n2", {ev("n2", 1, 10), ev("n2", 2, 30)}, ""},
      {"n1", {ev("n1", 5, 10), ev("n1", 6, 20), ev("n1", 7, 30)}, ""},
  };
  auto m = merge_pages(from, pages, 100);
  EXPECT_EQ(ids(m.events),
            (std::vector<std::string>{"n1-5", "n2-1", "n1-6", "n1-7", "n2-2"}));
  EXPECT_FALSE(m.more);
  EXPECT_TRUE(m.next.nodes["n1"].done);
  EXPECT_TRUE(m.next.nodes["n2"].done);
}

TEST(merge_pages, descending_takes_the_last_first) {
  cluster_cursor from;
  from.descending = true;
  std::vector<node_page> pages{
      {"n1", {ev("n1", 7, 30), ev("n1", 6, 20)}, ""},
      {"n2", {ev("n2", 2, 30), ev("n2", 1, 10)}, ""},
  };
  auto m = merge_pages(from, pages, 100);
  EXPECT_EQ(ids(m.events),
            (std::vector<std::string>{"n2-2", "n1-7", "n1-6", "n2-1"}));
}

TEST(merge_pages, a_partly_taken_node_resumes_after_its_last_event) {
  cluster_cursor from;
  std::vector<node_page> pages{
      {"n1", {ev("n1", 3, 10), ev("n1", 9, 40)}, ""},
      {"n2", {ev("n2", 4, 20), ev("n2", 8, 30)}, encode_cursor({false, 8})},
  };
  auto m = merge_pages(from, pages, 2);
  EXPECT_EQ(ids(m.events), (std::vector<std::string>{"n1-3", "n2-4"}));
  EXPECT_TRUE(m.more);
  EXPECT_EQ(m.next.nodes["n1"],
            (node_position{encode_cursor({false, 3}), false}));
  EXPECT_EQ(m.next.nodes["n2"],
            (node_position{encode_cursor({false, 4}), false}));
}

TEST(merge_pages, stops_where_a_node_with_more_runs_out) {
  // n2 sent one event and has more (its scan budget ran out): nothing
  // after its last event can be placed yet.
  cluster_cursor from;
  std::vector<node_page> pages{
      {"n1", {ev("n1", 1, 10), ev("n1", 2, 20), ev("n1", 3, 30)}, ""},
      {"n2", {ev("n2", 1, 15)}, encode_cursor({false, 500})},
  };
  auto m = merge_pages(from, pages, 10);
  EXPECT_EQ(ids(m.events), (std::vector<std::string>{"n1-1", "n2-1"}));
  EXPECT_TRUE(m.more);
  EXPECT_EQ(m.next.nodes["n2"].after, encode_cursor({false, 500}));
  EXPECT_EQ(m.next.nodes["n1"].after, encode_cursor({false, 1}));
  // A node that sent nothing but has more blocks at once; its position
  // still moves on.
  std::vector<node_page> empty{
      {"n1", {ev("n1", 1, 10)}, ""},
      {"n2", {}, encode_cursor({false, 900})},
  };
  auto e = merge_pages(from, empty, 10);
  EXPECT_TRUE(e.events.empty());
  EXPECT_TRUE(e.more);
  EXPECT_EQ(e.next.nodes["n2"].after, encode_cursor({false, 900}));
  EXPECT_EQ(e.next.nodes["n1"], node_position{});
}

TEST(merge_pages, a_node_that_did_not_answer_keeps_its_position) {
  cluster_cursor from;
  from.nodes["n3"] = {encode_cursor({false, 12}), false};
  from.nodes["n4"] = {"", true};
  std::vector<node_page> pages{{"n1", {ev("n1", 1, 10)}, ""}};
  auto m = merge_pages(from, pages, 10);
  EXPECT_EQ(m.next.nodes["n3"], from.nodes["n3"]);
  EXPECT_TRUE(m.next.nodes["n4"].done);
  // Only answering nodes decide whether there is a next page.
  EXPECT_FALSE(m.more);
}

TEST(merge_pages, paging_gives_every_event_exactly_once_in_order) {
  // Three nodes with interleaved times; pages of 3 through a simulated
  // node query that honours the positions.
  std::map<std::string, std::vector<v1::Event>> trails;
  int64_t t = 0;
  for (uint64_t seq = 1; seq <= 10; ++seq)
    for (std::string n : {"n1", "n2", "n3"})
      if ((seq + n.back()) % 3 != 0) // uneven trails
        trails[n].push_back(ev(n, seq, (t += 7) % 50 + int64_t(seq) * 100));
  for (bool desc : {false, true}) {
    cluster_cursor cur;
    cur.descending = desc;
    std::vector<std::string> got;
    std::vector<v1::Event> all;
    for (int round = 0; round < 100; ++round) {
      std::vector<node_page> pages;
      for (const auto& [node, trail] : trails) {
        auto pos = cur.nodes[node];
        if (pos.done)
          continue;
        uint64_t after = desc ? ~uint64_t{0} : 0;
        if (!pos.after.empty())
          after = decode_cursor(pos.after, desc)->last_seq;
        node_page page{node, {}, ""};
        std::vector<v1::Event> order = trail;
        if (desc)
          std::reverse(order.begin(), order.end());
        size_t i = 0;
        for (; i < order.size(); ++i) {
          auto s = order[i].seq();
          if (desc ? s >= after : s <= after)
            continue;
          if (page.events.size() == 3)
            break;
          page.events.push_back(order[i]);
        }
        if (i < order.size())
          page.next = encode_cursor({desc, page.events.back().seq()});
        pages.push_back(std::move(page));
      }
      auto m = merge_pages(cur, std::move(pages), 3);
      for (auto& e : m.events)
        all.push_back(e);
      if (!m.more)
        break;
      // Through the text form, as a client hands it back.
      cur = *decode_cluster_cursor(encode_cluster_cursor(m.next), desc);
    }
    size_t expected = 0;
    for (const auto& [node, trail] : trails)
      expected += trail.size();
    ASSERT_EQ(all.size(), expected);
    std::set<std::string> unique;
    for (size_t i = 0; i < all.size(); ++i) {
      unique.insert(all[i].id());
      if (i > 0) {
        EXPECT_FALSE(merged_before(all[i], all[i - 1], desc)) << i;
      }
    }
    EXPECT_EQ(unique.size(), expected);
  }
}

} // namespace
} // namespace herald::runtime
