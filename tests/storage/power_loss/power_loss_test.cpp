// Durability under a power cut, not just a process crash: `kill -9` keeps
// the page cache, so recovery_test would pass with fsync off. Here the store
// runs on power_loss_fs (tests/support/power_loss_fs.hpp), which keeps only
// what was Sync'd/Fsync'd (and, strictly, only files whose directory entry
// was fsynced). Events go through heraldd's ack path: the writer actor's
// group commit, replying after store.append(). After the cut the store is
// reopened on the real, truncated files.
//
// Parameterised on the store's sync flag (heraldd --durability): with sync
// every acknowledged event must survive; with async acknowledged events
// must be lost -- which proves the harness can see a loss at all.

#include <map>
#include <string>
#include <vector>

#include <caf/send.hpp>

#include "actors/node.hpp"
#include "storage/event_store.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/power_loss_fs.hpp"

namespace herald::test {
namespace {

using results = std::vector<protocol::publish_result>;

constexpr int rounds = 30;
constexpr int requests_per_round = 6; // group-committed together
constexpr int events_per_request = 40;

class power_loss_test : public actor_fixture,
                        public ::testing::WithParamInterface<bool> {
protected:
  storage::store_options store_opts() const {
    storage::store_options opts;
    opts.dir = dir() / "power-loss-db";
    opts.sync = GetParam();
    // Small memtables: the run crosses flushes, new SST files, WAL
    // switches and MANIFEST writes, not only WAL appends.
    opts.write_buffer_bytes = 1u << 20;
    opts.block_cache_bytes = 8u << 20;
    return opts;
  }

  static v1::Event event(int round, int req, int i) {
    auto ev = make_event("power.loss", "r" + std::to_string(round) + "-" +
                                           std::to_string(req) + "-" +
                                           std::to_string(i));
    ev.set_scope("power/r" + std::to_string(round % 5));
    ev.set_data_json("\"" + std::string(400, 'd') + "\"");
    return ev;
  }
};

TEST_P(power_loss_test, acknowledged_events_survive_only_when_synced) {
  auto fs = std::make_shared<power_loss_fs>(/*strict_dirs=*/true);
  auto opts = store_opts();
  opts.file_system = fs;
  std::shared_ptr<storage::event_store> store;
  {
    auto opened = storage::event_store::open(opts);
    ASSERT_TRUE(opened) << caf::to_string(opened.error());
    store = std::move(*opened);
  }
  actors::node_options nopts;
  nopts.node_id = "n1";
  nopts.inline_io = true; // the writer's logic, driven step by step
  auto node = actors::spawn_node(sys(), store, nopts);
  run();

  // Publish; remember every acknowledged id with its seq.
  std::map<std::string, uint64_t> acked;
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::shared_ptr<reply_slot<results>>> slots;
    for (int q = 0; q < requests_per_round; ++q) {
      std::vector<v1::Event> evs;
      for (int i = 0; i < events_per_request; ++i)
        evs.push_back(event(r, q, i));
      slots.push_back(write(node, std::move(evs)));
    }
    run();
    for (auto& slot : slots) {
      ASSERT_TRUE(slot->ok()) << caf::to_string(slot->error());
      for (auto& res : slot->get())
        acked.emplace(res.id, res.seq);
    }
  }
  ASSERT_EQ(acked.size(),
            size_t{rounds * requests_per_round * events_per_request});
  // Group commit was at work: fewer appends than requests.
  EXPECT_LT(node.metrics->appends.load(),
            uint64_t{rounds * requests_per_round});

  // The power goes: whatever RocksDB does afterwards never reaches the disk.
  fs->cut_power();
  actors::stop_node(sys(), node);
  run();
  store->close();
  store.reset();
  auto report = fs->restore_synced_state();
  EXPECT_GT(report.files_kept, 0u);

  // Back on: the real files, the default filesystem.
  opts.file_system = nullptr;
  auto reopened = storage::event_store::open(opts);
  ASSERT_TRUE(reopened) << caf::to_string(reopened.error());
  auto& back = **reopened;
  size_t lost = 0;
  for (auto& [id, seq] : acked) {
    auto ev = back.get_by_id(id);
    ASSERT_TRUE(ev) << caf::to_string(ev.error());
    if (!*ev)
      ++lost;
    else
      EXPECT_EQ((*ev)->seq(), seq) << id;
  }
  RecordProperty("acked", static_cast<int>(acked.size()));
  RecordProperty("lost", static_cast<int>(lost));
  RecordProperty("files_dropped", static_cast<int>(report.files_dropped));
  RecordProperty("files_truncated", static_cast<int>(report.files_truncated));
  RecordProperty("bytes_lost", static_cast<int>(report.bytes_lost));
  RecordProperty("file_syncs", static_cast<int>(fs->file_syncs()));
  RecordProperty("dir_syncs", static_cast<int>(fs->dir_syncs()));
  if (GetParam()) {
    EXPECT_EQ(lost, 0u) << "acknowledged events lost with sync on ("
                        << report.files_dropped << " files dropped, "
                        << report.bytes_lost << " bytes lost)";
    EXPECT_GE(back.last_seq(), acked.size());
    EXPECT_GT(fs->file_syncs(), 0u);
  } else {
    // The harness sees unsynced writes vanish: acknowledged, yet gone.
    EXPECT_GT(lost, 0u) << "async: nothing lost, the harness saw no cut";
    EXPECT_GT(report.bytes_lost, 0u);
  }
  // Either way the store is consistent: every seq up to last_seq that is
  // there is readable, and new appends continue after it.
  std::vector<v1::Event> more{event(rounds, 0, 0)};
  auto after = back.append(more, "n1", 1);
  ASSERT_TRUE(after) << caf::to_string(after.error());
  EXPECT_EQ(after->front().seq, back.last_seq());
}

INSTANTIATE_TEST_SUITE_P(durability, power_loss_test, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "sync" : "async";
                         });

} // namespace
} // namespace herald::test
