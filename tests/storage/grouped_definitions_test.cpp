// Definition changes inside a group commit (event_store::append_requests
// with append_request::change): atomic with their request's events,
// ordered with the requests around them, refused one request at a time.

#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

/// One request of a group: its events and, optionally, a change.
struct group_request {
  std::vector<v1::Event> events;
  std::optional<definition_write> change;
  const runtime::identity* who = nullptr;
};

/// What append_requests answered.
struct group_outcome {
  caf::expected<std::vector<append_result>> results{
      std::vector<append_result>{}};
  std::vector<caf::error> refused;
  std::vector<uint64_t> versions;
  /// The results of request `r` (its slice).
  std::vector<append_result> of(size_t r) const {
    size_t at = 0;
    for (size_t k = 0; k < r; ++k)
      at += counts[k];
    return {results->begin() + static_cast<ptrdiff_t>(at),
            results->begin() + static_cast<ptrdiff_t>(at + counts[r])};
  }
  std::vector<size_t> counts;
};

definition_write put(std::string key, std::string value,
                     std::optional<uint64_t> expect = std::nullopt) {
  return definition_write{std::move(key), std::move(value), expect,
                          std::nullopt};
}

definition_write erase(std::string key,
                       std::optional<uint64_t> expect = std::nullopt) {
  return definition_write{std::move(key), std::nullopt, expect, std::nullopt};
}

class grouped_definitions_test : public store_test {
protected:
  group_outcome commit_group(std::vector<group_request> group) {
    std::vector<v1::Event> events;
    std::vector<append_request> requests;
    group_outcome out;
    for (auto& r : group) {
      requests.push_back(append_request{r.events.size(), r.who,
                                        r.change ? &*r.change : nullptr});
      out.counts.push_back(r.events.size());
      for (auto& ev : r.events)
        events.push_back(std::move(ev));
    }
    out.results = store_->append_requests(events, requests, out.refused, "n1",
                                          77, &out.versions);
    EXPECT_TRUE(out.results) << caf::to_string(out.results.error());
    EXPECT_EQ(out.refused.size(), group.size());
    EXPECT_EQ(out.versions.size(), group.size());
    return out;
  }

  std::optional<definition> stored(const std::string& key) {
    auto d = store_->get_definition(key);
    EXPECT_TRUE(d) << caf::to_string(d.error());
    return d ? *d : std::nullopt;
  }

  static v1::Event from(std::string id, std::string source) {
    auto ev = make_event(std::move(id), "x.created");
    ev.set_source(std::move(source));
    return ev;
  }
};

TEST_F(grouped_definitions_test, changes_and_events_of_several_requests) {
  std::vector<group_request> g;
  g.push_back({{make_event("p1", "a.b")}, std::nullopt});
  g.push_back({{make_event("t1", "task.started")}, put("task/1", "r1")});
  g.push_back({{make_event("t2", "task.started"), make_event("t3", "x.y")},
               put("task/2", "r2")});
  g.push_back({{}, put("task/3", "r3")}); // a change without events
  auto out = commit_group(std::move(g));
  for (auto& err : out.refused)
    EXPECT_FALSE(err) << caf::to_string(err);
  EXPECT_EQ(out.versions, (std::vector<uint64_t>{0, 1, 1, 1}));
  ASSERT_EQ(out.results->size(), 4u);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ((*out.results)[i].seq, i + 1) << "in request order";
  EXPECT_EQ(store_->last_seq(), 4u);
  reopen();
  for (auto [key, value] :
       {std::pair{"task/1", "r1"}, {"task/2", "r2"}, {"task/3", "r3"}}) {
    auto d = stored(key);
    ASSERT_TRUE(d) << key;
    EXPECT_EQ(d->value, value);
    EXPECT_EQ(d->version, 1u);
  }
}

TEST_F(grouped_definitions_test, two_changes_of_one_key_apply_in_order) {
  ASSERT_TRUE(commit_group({{{}, put("task/1", "v1")}}).versions[0] == 1);
  std::vector<group_request> g;
  g.push_back({{make_event("e1", "a.b")}, put("task/1", "v2")});
  g.push_back({{make_event("e2", "a.b")}, std::nullopt});
  g.push_back({{make_event("e3", "a.b")}, put("task/1", "v3")});
  auto out = commit_group(std::move(g));
  EXPECT_EQ(out.versions, (std::vector<uint64_t>{2, 0, 3}))
      << "each reply carries the version its own change produced";
  auto d = stored("task/1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value, "v3") << "the last change of the group wins";
  EXPECT_EQ(d->version, 3u);
  // A delete then a put in one group: the key starts over at 1.
  g.clear();
  g.push_back({{}, erase("task/1")});
  g.push_back({{}, put("task/1", "again")});
  out = commit_group(std::move(g));
  EXPECT_EQ(out.versions, (std::vector<uint64_t>{3, 1}));
  d = stored("task/1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value, "again");
  EXPECT_EQ(d->version, 1u);
  // A put then a delete: gone.
  g.clear();
  g.push_back({{}, put("task/1", "brief")});
  g.push_back({{}, erase("task/1")});
  out = commit_group(std::move(g));
  EXPECT_EQ(out.versions, (std::vector<uint64_t>{2, 2}));
  EXPECT_FALSE(stored("task/1"));
}

TEST_F(grouped_definitions_test, conditional_changes_see_the_earlier_ones) {
  std::vector<group_request> g;
  g.push_back({{}, put("config/a", "1", 0)});
  g.push_back({{}, put("config/a", "2", 1)});
  g.push_back({{make_event("lost", "a.b")}, put("config/a", "x", 1)});
  g.push_back({{}, put("config/a", "3", 2)});
  auto out = commit_group(std::move(g));
  EXPECT_FALSE(out.refused[0]);
  EXPECT_FALSE(out.refused[1]);
  ASSERT_TRUE(out.refused[2]);
  EXPECT_EQ(api_code(out.refused[2]), runtime::errc::conflict);
  EXPECT_EQ(runtime::describe(out.refused[2]).field, "If-Match");
  EXPECT_FALSE(out.refused[3]);
  EXPECT_EQ(out.versions, (std::vector<uint64_t>{1, 2, 0, 3}));
  EXPECT_EQ(stored("config/a")->value, "3");
  EXPECT_FALSE(*store_->get_by_id("lost")) << "a refused change's events";
  EXPECT_EQ(store_->last_seq(), 0u);
}

TEST_F(grouped_definitions_test, a_refused_request_fails_alone) {
  std::vector<group_request> g;
  g.push_back({{make_event("a", "a.b")}, put("task/1", "ok")});
  // Delete of an absent key: not_found, its event is not stored.
  g.push_back({{make_event("b", "a.b")}, erase("task/none")});
  // An event the store refuses: its change is not stored.
  auto nameless = make_event("c", "");
  g.push_back({{make_event("c0", "a.b"), nameless}, put("task/2", "no")});
  // An empty key.
  g.push_back({{make_event("d", "a.b")}, put("", "x")});
  g.push_back({{make_event("e", "a.b")}, put("task/3", "ok")});
  auto out = commit_group(std::move(g));
  EXPECT_FALSE(out.refused[0]);
  EXPECT_EQ(api_code(out.refused[1]), runtime::errc::not_found);
  EXPECT_EQ(api_code(out.refused[2]), runtime::errc::invalid_name);
  EXPECT_EQ(runtime::describe(out.refused[2]).field, "/1/name");
  EXPECT_EQ(api_code(out.refused[3]), runtime::errc::invalid_field);
  EXPECT_FALSE(out.refused[4]);
  EXPECT_EQ(out.versions, (std::vector<uint64_t>{1, 0, 0, 0, 1}));
  EXPECT_EQ(out.of(0)[0].seq, 1u);
  EXPECT_EQ(out.of(4)[0].seq, 2u) << "consecutive seqs around the refusals";
  EXPECT_EQ(out.of(1)[0].seq, 0u);
  EXPECT_EQ(store_->last_seq(), 2u);
  for (const char* id : {"b", "c0", "c", "d"})
    EXPECT_FALSE(*store_->get_by_id(id)) << id;
  EXPECT_TRUE(stored("task/1"));
  EXPECT_FALSE(stored("task/2"));
  EXPECT_TRUE(stored("task/3"));
}

TEST_F(grouped_definitions_test, a_refused_change_does_not_count_for_later) {
  // The first put is refused with its request (nameless event): the
  // create-if-absent after it succeeds, the delete after that finds the
  // key the create made.
  std::vector<group_request> g;
  g.push_back({{make_event("x", "")}, put("config/k", "refused")});
  g.push_back({{}, put("config/k", "created", 0)});
  g.push_back({{}, erase("config/k", 1)});
  g.push_back({{}, erase("config/k")}); // gone now: not_found
  auto out = commit_group(std::move(g));
  EXPECT_EQ(api_code(out.refused[0]), runtime::errc::invalid_name);
  EXPECT_FALSE(out.refused[1]);
  EXPECT_FALSE(out.refused[2]);
  EXPECT_EQ(api_code(out.refused[3]), runtime::errc::not_found);
  EXPECT_EQ(out.versions, (std::vector<uint64_t>{0, 1, 1, 0}));
  EXPECT_FALSE(stored("config/k"));
}

TEST_F(grouped_definitions_test, a_hidden_id_refuses_the_change_with_it) {
  const runtime::identity insider{"ann", {"ops"}, {"publisher"}};
  const runtime::identity outsider{"bob", {"dev"}, {"publisher"}};
  auto secret = make_event("s1", "secret.x");
  secret.add_allowed_groups("ops");
  append({secret});
  // The outsider's request reuses the hidden id: refused with its change;
  // the create-if-absent of the same key after it is then the first.
  std::vector<group_request> g;
  g.push_back(
      {{make_event("s1", "a.b")}, put("task/9", "outsider"), &outsider});
  g.push_back({{}, put("task/9", "mine", 0), &insider});
  auto out = commit_group(std::move(g));
  EXPECT_EQ(api_code(out.refused[0]), runtime::errc::conflict);
  EXPECT_FALSE(out.refused[1]) << caf::to_string(out.refused[1]);
  EXPECT_EQ(out.versions, (std::vector<uint64_t>{0, 1}));
  auto d = stored("task/9");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value, "mine");
}

TEST_F(grouped_definitions_test, source_settings_decide_for_what_follows) {
  std::vector<group_request> g;
  g.push_back({{from("a", "iam")}, std::nullopt});
  g.push_back({{}, put("source/iam", R"({"enabled":false})")});
  g.push_back({{from("b", "iam")}, std::nullopt});
  // A request's own events are checked before its change (as alone), so
  // this enable is refused with its event from the disabled source...
  g.push_back({{from("c", "iam")}, put("source/iam", R"({"enabled":true})")});
  g.push_back({{from("d", "iam")}, std::nullopt}); // ... and iam stays off
  g.push_back({{}, put("source/iam", R"({"enabled":true})")});
  g.push_back({{from("f", "iam")}, std::nullopt});
  g.push_back(
      {{from("g", "billing")}, put("source/billing", R"({"enabled":false})")});
  auto out = commit_group(std::move(g));
  EXPECT_FALSE(out.refused[0]);
  EXPECT_FALSE(out.refused[1]);
  EXPECT_EQ(api_code(out.refused[2]), runtime::errc::source_disabled);
  EXPECT_EQ(api_code(out.refused[3]), runtime::errc::source_disabled);
  EXPECT_EQ(api_code(out.refused[4]), runtime::errc::source_disabled);
  EXPECT_FALSE(out.refused[5]);
  EXPECT_FALSE(out.refused[6]);
  EXPECT_FALSE(out.refused[7]);
  EXPECT_EQ(out.of(6)[0].seq, 2u);
  EXPECT_EQ(out.of(7)[0].seq, 3u);
  auto check = [&] {
    auto s = store_->sources();
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].id, "billing");
    EXPECT_FALSE(s[0].enabled);
    EXPECT_EQ(s[0].events, 1u);
    EXPECT_EQ(s[1].id, "iam");
    EXPECT_TRUE(s[1].enabled);
    EXPECT_EQ(s[1].events, 2u);
    EXPECT_EQ(s[1].last_seq, 2u);
  };
  check();
  reopen();
  check();
  auto off = store_->check_sources({from("z", "billing")});
  EXPECT_EQ(api_code(off), runtime::errc::source_disabled);
}

TEST_F(grouped_definitions_test, the_grouping_rule) {
  EXPECT_TRUE(may_group_commit(put("task/1", "x")));
  EXPECT_TRUE(may_group_commit(erase("task/1")));
  EXPECT_FALSE(may_group_commit(put("task/1", "x", 3)));
  EXPECT_FALSE(may_group_commit(put("task/1", "x", 0)));
  EXPECT_FALSE(may_group_commit(put("source/iam", R"({"enabled":true})")));
}

TEST_F(grouped_definitions_test, a_failed_call_stores_nothing) {
  ASSERT_FALSE(store_->close());
  std::vector<v1::Event> events{make_event("a", "a.b")};
  auto change = put("task/1", "x");
  std::vector<append_request> requests{append_request{1, nullptr, &change}};
  std::vector<caf::error> refused;
  auto r = store_->append_requests(events, requests, refused, "n1", 1);
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_storage_error(r.error(), errc::closed));
}

} // namespace
} // namespace herald::storage::test
