// Memory bounded by configuration, not by the data: RocksDB's index and
// filter blocks are charged to the (bounded) block cache, so what open SST
// files hold outside it stays small however much is stored.

#include <filesystem>
#include <string>
#include <vector>

#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

class memory_test : public store_test {
protected:
  /// Appends `count` events (every index key an event writes, ~300-byte
  /// data) in batches of 1000, then flushes them into SST files.
  void write_and_flush(int count) {
    std::string data = "\"" + std::string(300, 'm') + "\"";
    for (int done = 0; done < count; done += 1000) {
      std::vector<v1::Event> evs;
      for (int i = 0; i < 1000; ++i) {
        auto n = next_++;
        auto ev = make_event("mem-" + std::to_string(n),
                             "memory.written." + std::to_string(n % 13),
                             static_cast<int64_t>(n));
        ev.set_source("src-" + std::to_string(n % 5));
        ev.set_tenant("t-" + std::to_string(n % 7));
        ev.set_user("u-" + std::to_string(n % 11));
        ev.set_scope("a/b" + std::to_string(n % 3) + "/c" +
                     std::to_string(n % 17) + "/d" + std::to_string(n % 29));
        ev.set_data_json(data);
        evs.push_back(std::move(ev));
      }
      ASSERT_EQ(append(std::move(evs)).size(), 1000u);
    }
    ASSERT_FALSE(store_->flush());
  }

  /// SST files in the store's directory.
  size_t sst_files() const {
    size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(options().dir))
      n += e.path().extension() == ".sst" ? 1 : 0;
    return n;
  }

  uint64_t next_ = 0;
};

TEST_F(memory_test, table_readers_stay_small_as_the_data_grows) {
  write_and_flush(20000);
  auto small = store_->memory_usage();
  for (int round = 0; round < 5; ++round)
    write_and_flush(20000);
  auto large = store_->memory_usage();
  // 120k events with ~10 index keys each: their index and filter blocks are
  // hundreds of KiB (357 KiB in 28 files when the table readers held them).
  // Charged to the block cache, the readers keep only fixed structures
  // (table properties, ...): under 2 KiB per open file, whatever its size.
  auto files = sst_files();
  EXPECT_LT(large.table_readers_bytes, 64u << 10)
      << "table readers " << small.table_readers_bytes << " -> "
      << large.table_readers_bytes << " bytes, " << files << " SST files";
  EXPECT_LT(large.table_readers_bytes, files * 4096u) << files << " SST files";
  // The index and filter blocks are in the cache: L0 and top-level ones
  // pinned there, all of them within its capacity.
  EXPECT_GT(large.block_cache_pinned_bytes, 0u);
  EXPECT_GT(large.block_cache_bytes, 0u);
  EXPECT_LE(large.block_cache_bytes, large.block_cache_capacity_bytes);
  EXPECT_EQ(large.block_cache_capacity_bytes, options().block_cache_bytes);
}

} // namespace
} // namespace herald::storage::test
