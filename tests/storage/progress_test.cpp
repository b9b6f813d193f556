// Owners' progress (event_store::get_progress / commit_progress): the
// compare-and-set the in-process coordinator fences fires and cursors on.

#include <atomic>
#include <thread>

#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

using progress_test = store_test;

TEST_F(progress_test, revisions_count_from_one_and_survive_reopen) {
  auto none = store_->get_progress("trigger/hourly");
  ASSERT_TRUE(none) << caf::to_string(none.error());
  EXPECT_FALSE(*none);
  auto first = store_->commit_progress("trigger/hourly", 0, "fire-1");
  ASSERT_TRUE(first) << caf::to_string(first.error());
  EXPECT_EQ(*first, 1u);
  auto second = store_->commit_progress("trigger/hourly", 1, "fire-2");
  ASSERT_TRUE(second) << caf::to_string(second.error());
  EXPECT_EQ(*second, 2u);
  reopen();
  auto got = store_->get_progress("trigger/hourly");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->value, "fire-2");
  EXPECT_EQ((*got)->revision, 2u);
}

TEST_F(progress_test, a_stale_revision_conflicts_and_stores_nothing) {
  ASSERT_TRUE(store_->commit_progress("sub/a", 0, "c1"));
  ASSERT_TRUE(store_->commit_progress("sub/a", 1, "c2"));
  for (uint64_t stale : {0u, 1u, 3u}) {
    auto r = store_->commit_progress("sub/a", stale, "lost");
    ASSERT_FALSE(r) << "expected revision " << stale;
    EXPECT_EQ(api_code(r.error()), runtime::errc::conflict);
    EXPECT_EQ(runtime::describe(r.error()).field, "revision");
  }
  auto got = store_->get_progress("sub/a");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->value, "c2");
  EXPECT_EQ((*got)->revision, 2u);
  // Creating an absent key needs 0: anything else conflicts.
  auto absent = store_->commit_progress("sub/b", 5, "x");
  ASSERT_FALSE(absent);
  EXPECT_EQ(api_code(absent.error()), runtime::errc::conflict);
  EXPECT_FALSE(*store_->get_progress("sub/b"));
}

TEST_F(progress_test, keys_are_independent_and_values_are_bytes) {
  const std::string binary{"\0\x01\xff tail", 8};
  ASSERT_TRUE(store_->commit_progress("a", 0, binary));
  ASSERT_TRUE(store_->commit_progress("ab", 0, ""));
  ASSERT_TRUE(store_->commit_progress("ab", 1, "y"));
  auto a = store_->get_progress("a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->value, binary);
  EXPECT_EQ((*a)->revision, 1u);
  EXPECT_EQ((*store_->get_progress("ab"))->revision, 2u);
}

TEST_F(progress_test, progress_is_not_a_definition_nor_meta) {
  ASSERT_TRUE(store_->commit_progress("config/db", 0, "p"));
  EXPECT_FALSE(*store_->get_definition("config/db"));
  EXPECT_TRUE(store_->list_definitions("")->empty());
  EXPECT_FALSE(*store_->get_meta("config/db"));
}

TEST_F(progress_test, an_empty_key_is_refused) {
  auto r = store_->commit_progress("", 0, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(api_code(r.error()), runtime::errc::invalid_field);
  EXPECT_EQ(runtime::describe(r.error()).field, "key");
}

TEST_F(progress_test, of_concurrent_commits_on_one_revision_exactly_one_wins) {
  constexpr int threads = 8;
  constexpr int rounds = 50;
  for (int round = 0; round < rounds; ++round) {
    const auto expected = static_cast<uint64_t>(round);
    std::atomic<int> wins{0};
    std::atomic<int> conflicts{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        while (!go.load())
          std::this_thread::yield();
        auto r = store_->commit_progress("k", expected, std::to_string(t));
        if (r) {
          EXPECT_EQ(*r, expected + 1);
          ++wins;
        } else if (api_code(r.error()) == runtime::errc::conflict) {
          ++conflicts;
        }
      });
    go = true;
    for (auto& th : pool)
      th.join();
    ASSERT_EQ(wins.load(), 1) << "round " << round;
    ASSERT_EQ(conflicts.load(), threads - 1) << "round " << round;
  }
  EXPECT_EQ((*store_->get_progress("k"))->revision, uint64_t{rounds});
}

TEST_F(progress_test, a_batch_is_a_compare_and_set_per_write) {
  ASSERT_TRUE(store_->commit_progress("b", 0, "b1"));
  auto r = store_->commit_progress_batch({
      {"a", 0, "a1"},    // new key
      {"b", 1, "b2"},    // existing key
      {"a", 1, "a2"},    // sees the first write's revision
      {"c", 5, "lost"},  // conflict: nothing stored
      {"", 0, "x"},      // invalid key
      {"a", 1, "stale"}, // conflict: "a" is at 2 now
      {"b", 2, "b3"},    // after its own earlier write
  });
  ASSERT_TRUE(r) << caf::to_string(r.error());
  ASSERT_EQ(r->size(), 7u);
  auto rev = [&](size_t i) { return (*r)[i] ? *(*r)[i] : uint64_t{999}; };
  EXPECT_EQ(rev(0), 1u);
  EXPECT_EQ(rev(1), 2u);
  EXPECT_EQ(rev(2), 2u);
  ASSERT_FALSE((*r)[3]);
  EXPECT_EQ(api_code((*r)[3].error()), runtime::errc::conflict);
  EXPECT_EQ(runtime::describe((*r)[3].error()).field, "revision");
  ASSERT_FALSE((*r)[4]);
  EXPECT_EQ(api_code((*r)[4].error()), runtime::errc::invalid_field);
  ASSERT_FALSE((*r)[5]);
  EXPECT_EQ(api_code((*r)[5].error()), runtime::errc::conflict);
  EXPECT_NE(runtime::describe((*r)[5].error()).message.find("revision 2"),
            std::string::npos)
      << runtime::describe((*r)[5].error()).message;
  EXPECT_EQ(rev(6), 3u);
  reopen();
  auto a = store_->get_progress("a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->value, "a2");
  EXPECT_EQ((*a)->revision, 2u);
  auto b = store_->get_progress("b");
  ASSERT_TRUE(b && *b);
  EXPECT_EQ((*b)->value, "b3");
  EXPECT_EQ((*b)->revision, 3u);
  EXPECT_FALSE(*store_->get_progress("c"));
}

TEST_F(progress_test, a_batch_of_one_revision_twice_lets_the_first_win) {
  auto r = store_->commit_progress_batch({{"k", 0, "first"}, {"k", 0, "2nd"}});
  ASSERT_TRUE(r);
  ASSERT_TRUE((*r)[0]);
  EXPECT_EQ(*(*r)[0], 1u);
  ASSERT_FALSE((*r)[1]);
  EXPECT_EQ(api_code((*r)[1].error()), runtime::errc::conflict);
  EXPECT_EQ((*store_->get_progress("k"))->value, "first");
}

TEST_F(progress_test, an_empty_batch_or_only_refusals_write_nothing) {
  auto none = store_->commit_progress_batch({});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto lost = store_->commit_progress_batch({{"k", 3, "x"}, {"", 0, "y"}});
  ASSERT_TRUE(lost);
  ASSERT_EQ(lost->size(), 2u);
  EXPECT_FALSE((*lost)[0]);
  EXPECT_FALSE((*lost)[1]);
  EXPECT_FALSE(*store_->get_progress("k"));
}

TEST_F(progress_test, a_closed_store_refuses) {
  ASSERT_FALSE(store_->close());
  auto r = store_->commit_progress("k", 0, "x");
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_storage_error(r.error(), errc::closed));
  auto batch = store_->commit_progress_batch({{"k", 0, "x"}});
  ASSERT_FALSE(batch);
  EXPECT_TRUE(is_storage_error(batch.error(), errc::closed));
  auto g = store_->get_progress("k");
  ASSERT_FALSE(g);
  EXPECT_TRUE(is_storage_error(g.error(), errc::closed));
}

} // namespace
} // namespace herald::storage::test
