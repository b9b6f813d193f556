// event_store: seq assignment, idempotency, atomicity, point reads, meta.

#include <atomic>
#include <fstream>
#include <thread>

#include <rocksdb/db.h>

#include "storage/errc.hpp"
#include "storage/store_impl.hpp"

#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

using event_store_test = store_test;

TEST_F(event_store_test, empty_store_starts_at_zero) {
  EXPECT_EQ(store_->last_seq(), 0u);
  std::vector<v1::Event> none;
  auto r = store_->append(none, "n1", 1);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(store_->last_seq(), 0u);
}

TEST_F(event_store_test, assigns_consecutive_seqs_and_sets_fields_in_place) {
  std::vector<v1::Event> evs{make_event("a", "x.y"), make_event("b", "x.y"),
                             make_event("c", "x.z")};
  auto r = store_->append(evs, "node-7", 1234);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*r)[i].seq, i + 1);
    EXPECT_EQ((*r)[i].id, evs[i].id());
    EXPECT_FALSE((*r)[i].duplicate);
    EXPECT_EQ(evs[i].seq(), i + 1);
    EXPECT_EQ(evs[i].node(), "node-7");
    EXPECT_EQ(evs[i].accept_time_ns(), 1234);
  }
  EXPECT_EQ(store_->last_seq(), 3u);
  auto second = append({make_event("d", "x.y")});
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].seq, 4u);
}

TEST_F(event_store_test, seqs_continue_across_reopen) {
  append({make_event("a", "n"), make_event("b", "n")});
  reopen();
  EXPECT_EQ(store_->last_seq(), 2u);
  auto r = append({make_event("c", "n")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].seq, 3u);
  reopen();
  EXPECT_EQ(store_->last_seq(), 3u);
  for (uint64_t s = 1; s <= 3; ++s) {
    auto ev = store_->get_by_seq(s);
    ASSERT_TRUE(ev && *ev);
    EXPECT_EQ((*ev)->seq(), s);
  }
}

/// Writes `format` as the store's format marker (the store closed) and
/// returns the marker found before.
std::string set_format(const std::filesystem::path& dir,
                       const std::string& format) {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs{
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{}}};
  for (auto* name : cf_names_on_disk)
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  auto st =
      rocksdb::DB::Open(rocksdb::DBOptions{}, dir.string(), cfs, &handles, &db);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (!st.ok())
    return {};
  std::string before;
  auto* meta = handles[cf_meta + 1];
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions{}, meta,
                      std::string{meta_format_key}, &before)
                  .ok());
  EXPECT_TRUE(db->Put(rocksdb::WriteOptions{}, meta,
                      std::string{meta_format_key}, format)
                  .ok());
  for (auto* h : handles)
    db->DestroyColumnFamilyHandle(h);
  delete db;
  return before;
}

// Format 1 wrote one index entry per event with an empty value: exactly a
// one-seq posting, which is what one-event commits still write. Such a
// store opens, is queried and appended to, and is marked format 2 so that
// a build reading only format 1 refuses it instead of misreading postings.
TEST_F(event_store_test, a_format_1_store_opens_and_is_marked_format_2) {
  for (const char* id : {"a", "b", "c"}) {
    auto ev = make_event(id, "n");
    ev.set_tenant(id[0] == 'c' ? "other" : "t");
    append({ev});
  }
  store_.reset();
  EXPECT_EQ(set_format(options().dir, "1"), "2");
  open();
  std::vector<v1::Event> more;
  for (const char* id : {"d", "e", "f"}) {
    more.push_back(make_event(id, "n"));
    more.back().set_tenant("t");
  }
  append(more);
  event_query q;
  q.tenant = "t";
  EXPECT_EQ(run_all(q), (std::vector<uint64_t>{1, 2, 4, 5, 6}));
  q.descending = true;
  q.limit = 2;
  EXPECT_EQ(run_all(q), (std::vector<uint64_t>{6, 5, 4, 2, 1}));
  store_.reset();
  EXPECT_EQ(set_format(options().dir, "9"), "2");
  auto refused = event_store::open(options());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), caf::make_error(errc::unsupported_format));
  set_format(options().dir, "2");
  open();
}

TEST_F(event_store_test, duplicate_ids_across_batches_return_the_stored_seq) {
  append({make_event("a", "n"), make_event("b", "n")});
  std::vector<v1::Event> evs{make_event("b", "other"), make_event("c", "n"),
                             make_event("a", "other")};
  auto r = store_->append(evs, "n1", 5);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].seq, 2u);
  EXPECT_TRUE((*r)[0].duplicate);
  EXPECT_EQ((*r)[1].seq, 3u);
  EXPECT_FALSE((*r)[1].duplicate);
  EXPECT_EQ((*r)[2].seq, 1u);
  EXPECT_TRUE((*r)[2].duplicate);
  EXPECT_EQ(store_->last_seq(), 3u);
  // The duplicate was not stored and is left as given.
  EXPECT_EQ(evs[0].seq(), 0u);
  auto stored = store_->get_by_id("b");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->name(), "n");
  // Nothing of the duplicates reached the indexes.
  event_query q;
  q.name = "other";
  EXPECT_TRUE(run(q).events.empty());
}

TEST_F(event_store_test, duplicate_ids_within_a_batch_are_stored_once) {
  auto r = append({make_event("a", "n"), make_event("b", "n"),
                   make_event("a", "n"), make_event("a", "n"),
                   make_event("c", "n"), make_event("b", "n")});
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].seq, 1u);
  EXPECT_EQ(r[1].seq, 2u);
  EXPECT_EQ(r[2].seq, 1u);
  EXPECT_TRUE(r[2].duplicate);
  EXPECT_EQ(r[3].seq, 1u);
  EXPECT_TRUE(r[3].duplicate);
  EXPECT_EQ(r[4].seq, 3u);
  EXPECT_FALSE(r[4].duplicate);
  EXPECT_EQ(r[5].seq, 2u);
  EXPECT_TRUE(r[5].duplicate);
  EXPECT_EQ(store_->last_seq(), 3u);
  EXPECT_EQ(run_all(event_query{}), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(event_store_test, an_all_duplicate_batch_stores_nothing) {
  append({make_event("a", "n")});
  auto r = append({make_event("a", "n"), make_event("a", "n")});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].duplicate && r[1].duplicate);
  EXPECT_EQ(store_->last_seq(), 1u);
  EXPECT_EQ(append({make_event("b", "n")})[0].seq, 2u);
}

TEST_F(event_store_test, duplicates_survive_reopen) {
  append({make_event("a", "n")});
  reopen();
  auto r = append({make_event("a", "n")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].duplicate);
  EXPECT_EQ(r[0].seq, 1u);
}

TEST_F(event_store_test, an_invalid_event_rejects_the_whole_batch) {
  append({make_event("first", "n")});
  std::vector<v1::Event> evs{make_event("ok1", "n"), make_event("ok2", "n"),
                             make_event("", "n")};
  auto r = store_->append(evs, "n1", 9);
  ASSERT_FALSE(r);
  EXPECT_EQ(api_code(r.error()), runtime::errc::invalid_id);
  EXPECT_EQ(runtime::describe(r.error()).field, "/2/id");
  EXPECT_EQ(store_->last_seq(), 1u);
  for (auto& ev : evs)
    EXPECT_EQ(ev.seq(), 0u);
  auto got = store_->get_by_id("ok1");
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
  std::vector<v1::Event> too_long{make_event(std::string(257, 'x'), "n")};
  auto r2 = store_->append(too_long, "n1", 9);
  ASSERT_FALSE(r2);
  EXPECT_EQ(api_code(r2.error()), runtime::errc::invalid_id);
  std::vector<v1::Event> no_name{make_event("ok3", "")};
  auto r3 = store_->append(no_name, "n1", 9);
  ASSERT_FALSE(r3);
  EXPECT_EQ(api_code(r3.error()), runtime::errc::invalid_name);
  EXPECT_EQ(runtime::describe(r3.error()).field, "/0/name");
  // The next good batch continues without a gap.
  auto ok = append({make_event("ok1", "n")});
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].seq, 2u);
  EXPECT_FALSE(ok[0].duplicate);
  EXPECT_EQ(run_all(event_query{}), (std::vector<uint64_t>{1, 2}));
}

TEST_F(event_store_test, max_length_id_is_accepted) {
  auto r = append({make_event(std::string(256, 'i'), "n")});
  ASSERT_EQ(r.size(), 1u);
  auto got = store_->get_by_id(std::string(256, 'i'));
  ASSERT_TRUE(got && *got);
}

TEST_F(event_store_test, a_closed_store_refuses_everything) {
  append({make_event("a", "n")});
  EXPECT_FALSE(store_->close());
  EXPECT_FALSE(store_->close()); // idempotent
  std::vector<v1::Event> evs{make_event("b", "n")};
  auto r = store_->append(evs, "n1", 1);
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_storage_error(r.error(), errc::closed));
  EXPECT_TRUE(is_storage_error(store_->get_by_seq(1).error(), errc::closed));
  EXPECT_TRUE(is_storage_error(store_->get_by_id("a").error(), errc::closed));
  EXPECT_TRUE(is_storage_error(
      store_->query({}, runtime::identity::anonymous_admin()).error(),
      errc::closed));
  EXPECT_TRUE(is_storage_error(store_->get_meta("k").error(), errc::closed));
  EXPECT_TRUE(is_storage_error(store_->put_meta("k", "v"), errc::closed));
  EXPECT_EQ(store_->approximate_size(), 0u);
  // Nothing of the refused batch is there after reopening.
  reopen();
  EXPECT_EQ(store_->last_seq(), 1u);
  auto got = store_->get_by_id("b");
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
}

TEST_F(event_store_test, get_by_id_and_seq_return_the_stored_event) {
  auto ev = make_event("id-1", "iam.user.created", 777);
  ev.set_source("iam");
  ev.set_tenant("acme");
  ev.set_user("alice");
  ev.set_scope("inventory/test");
  ev.add_allowed_groups("g");
  ev.set_data_json(R"({"x":1})");
  (*ev.mutable_extensions())["ext"] = "\"v\"";
  append({ev}, 99);
  auto by_id = store_->get_by_id("id-1");
  ASSERT_TRUE(by_id && *by_id);
  auto by_seq = store_->get_by_seq(1);
  ASSERT_TRUE(by_seq && *by_seq);
  ev.set_seq(1);
  ev.set_node("n1");
  ev.set_accept_time_ns(99);
  EXPECT_EQ((*by_id)->SerializeAsString(), ev.SerializeAsString());
  EXPECT_EQ((*by_seq)->SerializeAsString(), ev.SerializeAsString());
  auto missing = store_->get_by_id("nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto missing_seq = store_->get_by_seq(2);
  ASSERT_TRUE(missing_seq);
  EXPECT_FALSE(*missing_seq);
  auto zero = store_->get_by_seq(0);
  ASSERT_TRUE(zero);
  EXPECT_FALSE(*zero);
}

TEST_F(event_store_test, ids_with_control_bytes_are_kept_apart) {
  append({make_event(std::string("a\0b", 3), "n"), make_event("a", "n")});
  auto r = append({make_event(std::string("a\0b", 3), "n")});
  EXPECT_TRUE(r[0].duplicate);
  EXPECT_EQ(r[0].seq, 1u);
  auto got = store_->get_by_id("a");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->seq(), 2u);
}

TEST_F(event_store_test, meta_round_trips_and_persists) {
  auto none = store_->get_meta("node_id");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_FALSE(store_->put_meta("node_id", "n-1"));
  EXPECT_FALSE(store_->put_meta("empty", ""));
  reopen();
  auto got = store_->get_meta("node_id");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, "n-1");
  auto empty = store_->get_meta("empty");
  ASSERT_TRUE(empty && *empty);
  EXPECT_EQ(**empty, "");
  EXPECT_FALSE(store_->put_meta("node_id", "n-2"));
  EXPECT_EQ(**store_->get_meta("node_id"), "n-2");
  // Internal keys are not visible as user meta.
  auto internal = store_->get_meta("format");
  ASSERT_TRUE(internal);
  EXPECT_FALSE(*internal);
}

TEST_F(event_store_test, approximate_size_grows) {
  auto before = store_->approximate_size();
  std::vector<v1::Event> evs;
  for (int i = 0; i < 500; ++i) {
    evs.push_back(make_event("e" + std::to_string(i), "n"));
    evs.back().set_data_json(std::string(200, 'x'));
  }
  append(std::move(evs));
  EXPECT_GT(store_->approximate_size(), before);
}

TEST_F(event_store_test, zone_block_size_is_fixed_at_creation) {
  // Written with 4096-event blocks; reading them as 8-event blocks would
  // skip seqs 8.. (no zone entry under that numbering).
  std::vector<v1::Event> evs;
  for (int i = 0; i < 40; ++i)
    evs.push_back(make_event("b" + std::to_string(i), "n", 1000 + i));
  append(std::move(evs));
  zone_shift_ = 3; // ignored for an existing store
  reopen();
  append({make_event("c", "n", 1039)});
  event_query q;
  q.since_ns = 1030;
  EXPECT_EQ(run_all(q), (std::vector<uint64_t>{31, 32, 33, 34, 35, 36, 37, 38,
                                               39, 40, 41}));
}

TEST_F(event_store_test, readers_see_whole_batches_only) {
  // Each batch introduces a new name: a reader whose snapshot holds a batch
  // must find all of it, through the wildcard's catalog expansion too.
  constexpr int batches = 50;
  constexpr int per_batch = 20;
  std::atomic<bool> done{false};
  std::atomic<bool> failed{false};
  std::atomic<int> checks{0};
  std::thread reader{[&] {
    while (!done.load() && !failed.load()) {
      event_query q;
      q.name = "b.*";
      q.limit = 1000;
      auto page = store_->query(q, runtime::identity::anonymous_admin());
      bool ok = page && page->next.empty() &&
                page->last_examined_seq % per_batch == 0 &&
                page->events.size() == page->last_examined_seq;
      for (size_t i = 0; ok && i < page->events.size(); ++i)
        ok = page->events[i].seq() == i + 1;
      if (!ok) {
        failed = true;
        ADD_FAILURE() << "partial or inconsistent page: "
                      << (page ? std::to_string(page->events.size()) + " of " +
                                     std::to_string(page->last_examined_seq)
                               : caf::to_string(page.error()));
        return;
      }
      ++checks;
    }
  }};
  for (int b = 0; b < batches; ++b) {
    std::vector<v1::Event> evs;
    for (int i = 0; i < per_batch; ++i)
      evs.push_back(make_event("e" + std::to_string(b * per_batch + i),
                               "b.n" + std::to_string(b)));
    append(std::move(evs));
  }
  while (checks.load() < 3 && !failed.load())
    std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(store_->last_seq(), uint64_t{batches * per_batch});
}

TEST_F(event_store_test, open_fails_cleanly_on_a_file_path) {
  auto file = dir_.path() / "file";
  { std::ofstream{file} << "x"; }
  store_options opts;
  opts.dir = file;
  auto s = event_store::open(opts);
  ASSERT_FALSE(s);
  EXPECT_TRUE(is_storage_error(s.error(), errc::io_error))
      << caf::to_string(s.error());
}

} // namespace
} // namespace herald::storage::test
