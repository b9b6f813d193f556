// Definitions (versioned documents committed with their events) and the
// source table (counts, enable/disable) of event_store.

#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

class definitions_test : public store_test {
protected:
  caf::expected<definition_result>
  commit(std::string key, std::optional<std::string> value,
         std::optional<uint64_t> expect = std::nullopt,
         std::vector<v1::Event> evs = {}) {
    definition_write w{std::move(key), std::move(value), expect, std::nullopt};
    return store_->commit_definition(w, evs, "n1", 77);
  }

  v1::Event from(std::string id, std::string source) {
    auto ev = make_event(std::move(id), "x.created");
    ev.set_source(std::move(source));
    return ev;
  }
};

TEST_F(definitions_test, versions_count_from_one_and_survive_reopen) {
  auto a = commit("config/db", R"({"url":"x"})");
  ASSERT_TRUE(a) << caf::to_string(a.error());
  EXPECT_EQ(a->version, 1u);
  auto b = commit("config/db", R"({"url":"y"})", 1);
  ASSERT_TRUE(b) << caf::to_string(b.error());
  EXPECT_EQ(b->version, 2u);
  reopen();
  auto got = store_->get_definition("config/db");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->value, R"({"url":"y"})");
  EXPECT_EQ((*got)->version, 2u);
  auto missing = store_->get_definition("config/other");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(definitions_test, a_stale_version_is_a_conflict_and_changes_nothing) {
  ASSERT_TRUE(commit("config/a", "1"));
  ASSERT_TRUE(commit("config/a", "2", 1));
  std::vector<v1::Event> evs{make_event("e1", "config-updated")};
  definition_write w{"config/a", "3", 1, std::nullopt};
  auto r = store_->commit_definition(w, evs, "n1", 5);
  ASSERT_FALSE(r);
  EXPECT_EQ(api_code(r.error()), runtime::errc::conflict);
  EXPECT_EQ(runtime::describe(r.error()).field, "If-Match");
  EXPECT_EQ(store_->last_seq(), 0u) << "the event must not be stored";
  EXPECT_EQ((*store_->get_definition("config/a"))->value, "2");
  // "must not exist" (0) on an existing key conflicts too.
  auto create = commit("config/a", "4", 0);
  ASSERT_FALSE(create);
  EXPECT_EQ(api_code(create.error()), runtime::errc::conflict);
  EXPECT_TRUE(commit("config/new", "1", 0));
}

TEST_F(definitions_test, the_event_is_committed_with_the_change) {
  std::vector<v1::Event> evs{make_event("e1", "config-updated")};
  definition_write w{"config/a", "1", std::nullopt, std::nullopt};
  auto r = store_->commit_definition(w, evs, "n1", 5);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_EQ(r->events[0].seq, 1u);
  EXPECT_EQ(evs[0].seq(), 1u);
  auto stored = store_->get_by_id("e1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->name(), "config-updated");
}

TEST_F(definitions_test, delete_removes_and_a_missing_key_is_not_found) {
  ASSERT_TRUE(commit("config/a", "1"));
  auto d = commit("config/a", std::nullopt, 1);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version, 1u);
  EXPECT_FALSE(*store_->get_definition("config/a"));
  auto again = commit("config/a", std::nullopt);
  ASSERT_FALSE(again);
  EXPECT_EQ(api_code(again.error()), runtime::errc::not_found);
  // A re-created key starts over at version 1.
  auto re = commit("config/a", "x");
  ASSERT_TRUE(re);
  EXPECT_EQ(re->version, 1u);
}

TEST_F(definitions_test, a_replicated_change_stores_its_version_once_in_order) {
  auto replicate = [&](std::string key, std::optional<std::string> value,
                       uint64_t rev, std::vector<v1::Event> evs = {}) {
    definition_write w{std::move(key), std::move(value), uint64_t{999}, rev};
    return store_->commit_definition(w, evs, "n1", 5);
  };
  // The cluster's revision is the version; expect_version is ignored.
  auto a = replicate("config/a", "1", 40, {make_event("e1", "config-updated")});
  ASSERT_TRUE(a) << caf::to_string(a.error());
  EXPECT_EQ(a->version, 40u);
  EXPECT_EQ((*store_->get_definition("config/a"))->version, 40u);
  // Applied again (a watch resumed, a restart re-read the snapshot): no
  // change, and the event is not stored twice.
  auto again =
      replicate("config/a", "1", 40, {make_event("e1", "config-updated")});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->version, 40u);
  ASSERT_EQ(again->events.size(), 1u);
  EXPECT_TRUE(again->events[0].duplicate);
  EXPECT_EQ(store_->last_seq(), 1u);
  // An older revision never overwrites a newer one.
  ASSERT_TRUE(replicate("config/a", "2", 45));
  ASSERT_TRUE(replicate("config/a", "stale", 44));
  EXPECT_EQ((*store_->get_definition("config/a"))->value, "2");
  EXPECT_EQ((*store_->get_definition("config/a"))->version, 45u);
  // A replicated delete of what is absent is a no-op, not not_found; of
  // what is present, a delete.
  EXPECT_TRUE(replicate("config/none", std::nullopt, 46));
  EXPECT_TRUE(replicate("config/a", std::nullopt, 47));
  EXPECT_FALSE(*store_->get_definition("config/a"));
  // A local change after it counts on from the replicated version.
  auto local = commit("config/b", "x");
  ASSERT_TRUE(local);
  ASSERT_TRUE(replicate("config/b", "y", 50));
  EXPECT_EQ((*store_->get_definition("config/b"))->version, 50u);
}

TEST_F(definitions_test, list_returns_one_prefix_in_key_order) {
  ASSERT_TRUE(commit("user/bob", "b"));
  ASSERT_TRUE(commit("user/alice", "a"));
  ASSERT_TRUE(commit("users-not", "z"));
  ASSERT_TRUE(commit("token/t1", "t"));
  auto l = store_->list_definitions("user/");
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].key, "user/alice");
  EXPECT_EQ((*l)[1].key, "user/bob");
}

TEST_F(definitions_test, sources_are_counted_per_accepted_event) {
  append({from("a", "iam"), from("b", "iam"), from("c", "billing")}, 100);
  append({from("a", "iam"), from("d", "iam")}, 200); // "a" is a duplicate
  auto s = store_->sources();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "billing");
  EXPECT_EQ(s[0].events, 1u);
  EXPECT_EQ(s[1].id, "iam");
  EXPECT_EQ(s[1].events, 3u);
  EXPECT_EQ(s[1].last_seq, 4u);
  EXPECT_EQ(s[1].last_accept_ns, 200);
  EXPECT_TRUE(s[1].enabled);
  reopen();
  auto after = store_->sources();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[1].events, 3u);
  EXPECT_EQ(after[1].last_seq, 4u);
}

TEST_F(definitions_test, a_disabled_source_is_refused_and_nothing_stored) {
  append({from("a", "iam")});
  ASSERT_TRUE(commit("source/iam", R"({"enabled":false})"));
  std::vector<v1::Event> batch{from("b", "billing"), from("c", "iam")};
  auto r = store_->append(batch, "n1", 5);
  ASSERT_FALSE(r);
  EXPECT_EQ(api_code(r.error()), runtime::errc::source_disabled);
  EXPECT_EQ(runtime::describe(r.error()).field, "/1/source");
  EXPECT_EQ(store_->last_seq(), 1u);
  EXPECT_FALSE(*store_->get_by_id("b"));
  EXPECT_TRUE(store_->check_sources({from("z", "billing")}) == caf::error{});
  auto one = store_->check_sources({from("z", "iam")});
  EXPECT_EQ(api_code(one), runtime::errc::source_disabled);
  EXPECT_EQ(runtime::describe(one).field, "/source");
  // The setting survives a restart, and enabling lets events in again.
  reopen();
  auto s = store_->sources();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].enabled);
  std::vector<v1::Event> again{from("c", "iam")};
  EXPECT_FALSE(store_->append(again, "n1", 5));
  ASSERT_TRUE(commit("source/iam", R"({"enabled":true})"));
  append({from("c", "iam")});
  EXPECT_EQ(store_->last_seq(), 2u);
}

TEST_F(definitions_test, a_source_can_be_disabled_before_its_first_event) {
  ASSERT_TRUE(commit("source/ibm-lifecycle", R"({"enabled":false})"));
  auto s = store_->sources();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].id, "ibm-lifecycle");
  EXPECT_EQ(s[0].events, 0u);
  EXPECT_FALSE(s[0].enabled);
  // Deleting the setting returns it to the default (enabled, unlisted).
  ASSERT_TRUE(commit("source/ibm-lifecycle", std::nullopt));
  EXPECT_TRUE(store_->sources().empty());
  append({from("a", "ibm-lifecycle")});
}

TEST_F(definitions_test, a_malformed_source_setting_is_refused) {
  for (const char* bad : {"{}", R"({"enabled":"no"})", "[]", "nope",
                          R"({"enabled":false,"x":1})"}) {
    auto r = commit("source/iam", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(api_code(r.error()), runtime::errc::invalid_field) << bad;
  }
  EXPECT_TRUE(store_->sources().empty());
  auto empty = commit("", "x");
  ASSERT_FALSE(empty);
  EXPECT_EQ(api_code(empty.error()), runtime::errc::invalid_field);
}

} // namespace
} // namespace herald::storage::test
