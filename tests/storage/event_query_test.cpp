// event_store::query: each predicate, ordering, paging, cursors, budget,
// visibility.

#include "runtime/content_filter.hpp"
#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

using seqs = std::vector<uint64_t>;

runtime::identity reader(std::vector<std::string> groups) {
  return runtime::identity{"r", std::move(groups), {"reader"}};
}

class event_query_test : public store_test {
protected:
  void SetUp() override {
    zone_shift_ = 2; // 4 events per zone block: many blocks to skip
    store_test::SetUp();
  }

  /// seq: name source tenant user scope time groups
  ///  1 iam.user.created   iam   acme   alice inventory/test/app  100
  ///  2 iam.user.deleted   iam   acme   bob   inventory/testing   50
  ///  3 iam.group.created  iam   globex alice inventory/test      300   [a]
  ///  4 inv.item.updated   inv   acme   -     inventory           20    [b]
  ///  5 server.ready       herald -     -     -                   400
  ///  6 iam.user.created   iam   globex carol project/p1/dev      10    [a,b]
  ///  7 inv.item.updated   inv   -      alice inventory/test/app/1.0 250
  ///  8 iam.user.created   iam   acme   alice inventory/test      60
  void fill() {
    struct row {
      const char* name;
      const char* source;
      const char* tenant;
      const char* user;
      const char* scope;
      int64_t time;
      std::vector<std::string> groups;
      const char* data;
    };
    std::vector<row> rows{
        {"iam.user.created",
         "iam",
         "acme",
         "alice",
         "inventory/test/app",
         100,
         {},
         R"({"state":"active","n":1})"},
        {"iam.user.deleted",
         "iam",
         "acme",
         "bob",
         "inventory/testing",
         50,
         {},
         R"({"state":"idle","n":2})"},
        {"iam.group.created",
         "iam",
         "globex",
         "alice",
         "inventory/test",
         300,
         {"a"},
         R"({"state":"active","n":3})"},
        {"inv.item.updated",
         "inv",
         "acme",
         "",
         "inventory",
         20,
         {"b"},
         R"({"n":4})"},
        {"server.ready", "herald", "", "", "", 400, {}, ""},
        {"iam.user.created",
         "iam",
         "globex",
         "carol",
         "project/p1/dev",
         10,
         {"a", "b"},
         R"({"state":"active","n":6})"},
        {"inv.item.updated",
         "inv",
         "",
         "alice",
         "inventory/test/app/1.0",
         250,
         {},
         R"({"state":"idle","n":7})"},
        {"iam.user.created",
         "iam",
         "acme",
         "alice",
         "inventory/test",
         60,
         {},
         R"({"state":"active","n":8})"},
    };
    std::vector<v1::Event> evs;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto& r = rows[i];
      auto ev = make_event("ev" + std::to_string(i + 1), r.name, r.time);
      ev.set_source(r.source);
      ev.set_tenant(r.tenant);
      ev.set_user(r.user);
      ev.set_scope(r.scope);
      for (auto& g : r.groups)
        ev.add_allowed_groups(g);
      if (*r.data)
        ev.set_data_json(r.data);
      evs.push_back(std::move(ev));
    }
    // Two batches so that the zone tail is carried across appends.
    std::vector<v1::Event> first(evs.begin(), evs.begin() + 3);
    std::vector<v1::Event> second(evs.begin() + 3, evs.end());
    append(std::move(first));
    append(std::move(second));
  }

  seqs all(event_query q) {
    q.limit = 1000;
    return run_all(std::move(q));
  }
};

TEST_F(event_query_test, no_predicate_returns_everything_in_seq_order) {
  fill();
  EXPECT_EQ(all({}), (seqs{1, 2, 3, 4, 5, 6, 7, 8}));
  event_query q;
  q.descending = true;
  EXPECT_EQ(all(q), (seqs{8, 7, 6, 5, 4, 3, 2, 1}));
}

TEST_F(event_query_test, literal_name) {
  fill();
  event_query q;
  q.name = "iam.user.created";
  EXPECT_EQ(all(q), (seqs{1, 6, 8}));
  q.name = "iam.user";
  EXPECT_EQ(all(q), seqs{});
}

TEST_F(event_query_test, wildcard_names) {
  fill();
  event_query q;
  q.name = "iam.*.created";
  EXPECT_EQ(all(q), (seqs{1, 3, 6, 8}));
  q.name = "iam.>";
  EXPECT_EQ(all(q), (seqs{1, 2, 3, 6, 8}));
  q.name = "*.ready";
  EXPECT_EQ(all(q), (seqs{5}));
  q.name = ">";
  EXPECT_EQ(all(q), (seqs{1, 2, 3, 4, 5, 6, 7, 8}));
  q.name = "*.*";
  EXPECT_EQ(all(q), (seqs{5}));
  q.name = "nothing.*";
  auto page = run(q);
  EXPECT_TRUE(page.events.empty());
  EXPECT_TRUE(page.next.empty());
  q.name = "iam.>";
  q.descending = true;
  EXPECT_EQ(all(q), (seqs{8, 6, 3, 2, 1}));
}

TEST_F(event_query_test, invalid_name_pattern_is_an_input_error) {
  event_query q;
  q.name = "iam.>.x";
  auto r = store_->query(q, runtime::identity::anonymous_admin());
  ASSERT_FALSE(r);
  EXPECT_EQ(api_code(r.error()), runtime::errc::invalid_pattern);
}

TEST_F(event_query_test, exact_source_tenant_user) {
  fill();
  event_query q;
  q.source = "inv";
  EXPECT_EQ(all(q), (seqs{4, 7}));
  q = {};
  q.tenant = "globex";
  EXPECT_EQ(all(q), (seqs{3, 6}));
  q = {};
  q.user = "alice";
  EXPECT_EQ(all(q), (seqs{1, 3, 7, 8}));
  q.user = "ali";
  EXPECT_EQ(all(q), seqs{});
  // An empty value matches events without one.
  q = {};
  q.tenant = "";
  EXPECT_EQ(all(q), (seqs{5, 7}));
}

TEST_F(event_query_test, scope_matches_whole_segments) {
  fill();
  event_query q;
  q.scope = "inventory/test";
  EXPECT_EQ(all(q), (seqs{1, 3, 7, 8}));
  q.scope = "inventory/test/";
  EXPECT_EQ(all(q), (seqs{1, 3, 7, 8}));
  q.scope = "inventory";
  EXPECT_EQ(all(q), (seqs{1, 2, 3, 4, 7, 8}));
  q.scope = "inventory/testing";
  EXPECT_EQ(all(q), (seqs{2}));
  q.scope = "inventory/tes";
  EXPECT_EQ(all(q), seqs{});
  q.scope = "inventory/test/app/1.0";
  EXPECT_EQ(all(q), (seqs{7}));
  q.scope = "project";
  EXPECT_EQ(all(q), (seqs{6}));
  q.scope = "";
  EXPECT_EQ(all(q).size(), 8u);
}

TEST_F(event_query_test,
       since_inclusive_until_exclusive_on_out_of_order_times) {
  fill();
  // times by seq: 100 50 300 20 400 10 250 60
  event_query q;
  q.since_ns = 60;
  EXPECT_EQ(all(q), (seqs{1, 3, 5, 7, 8}));
  q = {};
  q.until_ns = 60;
  EXPECT_EQ(all(q), (seqs{2, 4, 6}));
  q = {};
  q.since_ns = 50;
  q.until_ns = 101;
  EXPECT_EQ(all(q), (seqs{1, 2, 8}));
  q.since_ns = 400;
  q.until_ns = 401;
  EXPECT_EQ(all(q), (seqs{5}));
  q.since_ns = 401;
  q.until_ns = std::nullopt;
  EXPECT_EQ(all(q), seqs{});
  q.since_ns = 100;
  q.until_ns = 100; // empty range
  EXPECT_EQ(all(q), seqs{});
  q.since_ns = 10;
  q.until_ns = 11;
  q.descending = true;
  EXPECT_EQ(all(q), (seqs{6}));
}

TEST_F(event_query_test, content_filter_refines) {
  fill();
  auto f = runtime::content_filter::parse(
      std::string_view{R"({"data.state":["active"]})"}, "filter");
  ASSERT_TRUE(f) << caf::to_string(f.error());
  event_query q;
  q.filter = *f;
  EXPECT_EQ(all(q), (seqs{1, 3, 6, 8}));
  q.tenant = "acme";
  EXPECT_EQ(all(q), (seqs{1, 8}));
}

TEST_F(event_query_test, predicates_combine_with_and) {
  fill();
  event_query q;
  q.name = "iam.user.*";
  q.tenant = "acme";
  q.scope = "inventory/test";
  EXPECT_EQ(all(q), (seqs{1, 8}));
  q.since_ns = 61;
  EXPECT_EQ(all(q), (seqs{1}));
  q.user = "bob";
  EXPECT_EQ(all(q), seqs{});
  q = {};
  q.source = "iam";
  q.user = "alice";
  q.until_ns = 200;
  q.descending = true;
  EXPECT_EQ(all(q), (seqs{8, 1}));
}

TEST_F(event_query_test, visibility_by_groups) {
  fill();
  // groups by seq: 3 [a], 4 [b], 6 [a,b]
  EXPECT_EQ(run_all({}, reader({"a"})), (seqs{1, 2, 3, 5, 6, 7, 8}));
  EXPECT_EQ(run_all({}, reader({"b"})), (seqs{1, 2, 4, 5, 6, 7, 8}));
  EXPECT_EQ(run_all({}, reader({})), (seqs{1, 2, 5, 7, 8}));
  EXPECT_EQ(run_all({}, reader({"c", "a"})), (seqs{1, 2, 3, 5, 6, 7, 8}));
  EXPECT_EQ(run_all({}), (seqs{1, 2, 3, 4, 5, 6, 7, 8}));
  // Invisible events are skipped, not counted against the limit.
  event_query q;
  q.limit = 3;
  q.name = "iam.>";
  auto page = run(q, reader({}));
  EXPECT_EQ(seqs_of(page), (seqs{1, 2, 8}));
  EXPECT_TRUE(page.next.empty());
}

TEST_F(event_query_test, paging_asc_and_desc) {
  fill();
  event_query q;
  q.limit = 3;
  auto p1 = run(q);
  EXPECT_EQ(seqs_of(p1), (seqs{1, 2, 3}));
  ASSERT_FALSE(p1.next.empty());
  EXPECT_EQ(p1.last_examined_seq, 3u);
  q.after = p1.next;
  auto p2 = run(q);
  EXPECT_EQ(seqs_of(p2), (seqs{4, 5, 6}));
  q.after = p2.next;
  auto p3 = run(q);
  EXPECT_EQ(seqs_of(p3), (seqs{7, 8}));
  EXPECT_TRUE(p3.next.empty());
  EXPECT_EQ(p3.last_examined_seq, 8u);

  event_query d;
  d.descending = true;
  d.limit = 5;
  auto d1 = run(d);
  EXPECT_EQ(seqs_of(d1), (seqs{8, 7, 6, 5, 4}));
  EXPECT_EQ(d1.last_examined_seq, 4u);
  d.after = d1.next;
  auto d2 = run(d);
  EXPECT_EQ(seqs_of(d2), (seqs{3, 2, 1}));
  EXPECT_TRUE(d2.next.empty());
}

TEST_F(event_query_test, next_is_absent_when_the_page_ends_exactly_at_the_end) {
  fill();
  event_query q;
  q.limit = 8;
  auto page = run(q);
  EXPECT_EQ(page.events.size(), 8u);
  EXPECT_TRUE(page.next.empty());
  q.name = "iam.user.created";
  q.limit = 3;
  page = run(q);
  EXPECT_EQ(seqs_of(page), (seqs{1, 6, 8}));
  EXPECT_TRUE(page.next.empty());
}

TEST_F(event_query_test, cursor_errors) {
  fill();
  event_query q;
  q.limit = 2;
  auto page = run(q);
  ASSERT_FALSE(page.next.empty());
  event_query other = q;
  other.descending = true;
  other.after = page.next;
  auto r = store_->query(other, runtime::identity::anonymous_admin());
  ASSERT_FALSE(r);
  EXPECT_EQ(api_code(r.error()), runtime::errc::invalid_cursor);
  EXPECT_EQ(runtime::describe(r.error()).field, "after");
  for (std::string bad : std::vector<std::string>{
           "xyz", "%%%%", "AAAAAAAAAAAAAAAA", page.next.substr(1) + "A"}) {
    q.after = bad;
    auto r2 = store_->query(q, runtime::identity::anonymous_admin());
    ASSERT_FALSE(r2) << bad;
    EXPECT_EQ(api_code(r2.error()), runtime::errc::invalid_cursor);
  }
  // An empty `after` is no cursor.
  q.after = "";
  EXPECT_EQ(seqs_of(run(q)), (seqs{1, 2}));
}

TEST_F(event_query_test, limit_is_clamped) {
  fill();
  event_query q;
  q.limit = 0;
  EXPECT_EQ(run(q).events.size(), 1u);
  std::vector<v1::Event> evs;
  for (int i = 0; i < 1100; ++i)
    evs.push_back(make_event("bulk" + std::to_string(i), "bulk"));
  append(std::move(evs));
  q.limit = 5000;
  auto page = run(q);
  EXPECT_EQ(page.events.size(), 1000u);
  EXPECT_FALSE(page.next.empty());
}

TEST_F(event_query_test, from_seq_is_an_inclusive_lower_bound) {
  fill();
  event_query q;
  q.from_seq = 6;
  EXPECT_EQ(all(q), (seqs{6, 7, 8}));
  q.from_seq = 9;
  auto page = run(q);
  EXPECT_TRUE(page.events.empty());
  EXPECT_TRUE(page.next.empty());
  EXPECT_EQ(page.last_examined_seq, 8u);
  q.from_seq = 6;
  q.descending = true;
  EXPECT_EQ(all(q), (seqs{8, 7, 6}));
  q.descending = false;
  q.from_seq = 2;
  q.name = "iam.user.created";
  EXPECT_EQ(all(q), (seqs{6, 8}));
}

TEST_F(event_query_test, scan_budget_returns_early_with_a_cursor) {
  fill();
  auto f = runtime::content_filter::parse(std::string_view{R"({"data.n":[7]})"},
                                          "filter");
  ASSERT_TRUE(f);
  event_query q;
  q.filter = *f;
  q.scan_budget = 3;
  auto p1 = run(q);
  EXPECT_TRUE(p1.events.empty());
  ASSERT_FALSE(p1.next.empty());
  EXPECT_EQ(p1.last_examined_seq, 3u);
  q.after = p1.next;
  auto p2 = run(q);
  EXPECT_TRUE(p2.events.empty());
  EXPECT_EQ(p2.last_examined_seq, 6u);
  q.after = p2.next;
  auto p3 = run(q);
  EXPECT_EQ(seqs_of(p3), (seqs{7}));
  EXPECT_TRUE(p3.next.empty());
  EXPECT_EQ(p3.last_examined_seq, 8u);
  q.after.reset();
  q.scan_budget = 0; // clamped to 1: still progresses
  EXPECT_EQ(run_all(q), (seqs{7}));
}

TEST_F(event_query_test, last_examined_seq_at_the_end_is_the_snapshot_last) {
  fill();
  event_query q;
  q.name = "iam.group.created"; // only seq 3
  auto page = run(q);
  EXPECT_EQ(seqs_of(page), (seqs{3}));
  EXPECT_TRUE(page.next.empty());
  EXPECT_EQ(page.last_examined_seq, 8u);
  auto empty = run(event_query{}, reader({"zzz"}));
  EXPECT_EQ(empty.last_examined_seq, 8u);
}

TEST_F(event_query_test, empty_store) {
  auto page = run({});
  EXPECT_TRUE(page.events.empty());
  EXPECT_TRUE(page.next.empty());
  EXPECT_EQ(page.last_examined_seq, 0u);
  event_query q;
  q.name = "a.*";
  q.since_ns = 1;
  q.descending = true;
  page = run(q);
  EXPECT_TRUE(page.events.empty());
  EXPECT_TRUE(page.next.empty());
}

TEST_F(event_query_test, many_names_under_one_wildcard) {
  // More names than the planner merges: the pattern then only refines.
  std::vector<v1::Event> evs;
  for (int i = 0; i < 150; ++i)
    evs.push_back(make_event("m" + std::to_string(i),
                             "many.k" + std::to_string(i % 100) + ".ev"));
  evs.push_back(make_event("x", "many.k1.other"));
  append(std::move(evs));
  event_query q;
  q.name = "many.*.ev";
  auto got = all(q);
  ASSERT_EQ(got.size(), 150u);
  q.name = "many.k1.*";
  EXPECT_EQ(all(q), (seqs{2, 102, 151}));
  q.name = "many.>";
  q.descending = true;
  q.limit = 7;
  EXPECT_EQ(run_all(q).size(), 151u);
}

TEST_F(event_query_test, zone_of_the_last_block_is_recovered_on_reopen) {
  fill(); // seq 8 (time 60) opens zone block 2 (seqs 8..11)
  reopen();
  append({make_event("ev9", "late", 70)}); // same block, widens it
  append({make_event("ev10", "late", 5)});
  event_query q;
  q.until_ns = 65;
  EXPECT_EQ(all(q), (seqs{2, 4, 6, 8, 10}));
  q = {};
  q.since_ns = 61;
  q.until_ns = 71;
  EXPECT_EQ(all(q), (seqs{9}));
}

TEST_F(event_query_test, queries_survive_reopen) {
  fill();
  reopen();
  event_query q;
  q.name = "iam.*.created";
  q.since_ns = 60;
  EXPECT_EQ(all(q), (seqs{1, 3, 8}));
  auto more = make_event("ev9", "iam.x.created", 70);
  append({more});
  EXPECT_EQ(all(q), (seqs{1, 3, 8, 9}));
}

} // namespace
} // namespace herald::storage::test
