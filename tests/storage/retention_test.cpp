// Retention: policy parsing, expire() by age, per-name rules and size, with
// a mock clock (accept times and `now` are plain numbers). After every
// expiry the raw column families are checked: no key of a deleted event is
// left anywhere (ids, idx, names, zones), and nothing live lost one.

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <rocksdb/db.h>

#include "storage/retention.hpp"
#include "storage/store_impl.hpp"
#include "tests/storage/store_fixture.hpp"

namespace herald::storage::test {
namespace {

constexpr int64_t sec = 1'000'000'000;
constexpr int64_t day = 86400 * sec;
constexpr int64_t t0 = 1'700'000'000 * sec; // the mock clock's start

v1::Event full_event(const std::string& id, const std::string& name,
                     int64_t time_ns = t0) {
  auto ev = make_event(id, name, time_ns);
  ev.set_source("svc-" + name);
  ev.set_tenant("tenant-" + name);
  ev.set_user("user-" + name);
  ev.set_scope("root/" + name + "/leaf");
  return ev;
}

/// What the raw column families hold (read with the store closed).
struct raw_store {
  std::map<uint64_t, v1::Event> events;
  std::map<std::string, uint64_t> ids;
  std::vector<std::string> idx;
  std::set<std::string> names;
  std::set<uint64_t> zones;
};

class retention_test : public store_test {
protected:
  /// Closes the store, reads every CF, checks that the keys are exactly
  /// those the live events produce, and opens the store again.
  raw_store check_raw() {
    store_.reset();
    raw_store raw;
    {
      std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
      cfs.emplace_back(rocksdb::kDefaultColumnFamilyName,
                       rocksdb::ColumnFamilyOptions{});
      for (auto* name : cf_names_on_disk)
        cfs.emplace_back(name, rocksdb::ColumnFamilyOptions{});
      std::vector<rocksdb::ColumnFamilyHandle*> handles;
      rocksdb::DB* db = nullptr;
      auto st = rocksdb::DB::OpenForReadOnly(
          rocksdb::DBOptions{}, options().dir.string(), cfs, &handles, &db);
      EXPECT_TRUE(st.ok()) << st.ToString();
      if (!st.ok()) {
        open();
        return raw;
      }
      auto scan = [&](cf_id cf, auto&& f) {
        std::unique_ptr<rocksdb::Iterator> it{
            db->NewIterator(rocksdb::ReadOptions{}, handles[cf + 1])};
        for (it->SeekToFirst(); it->Valid(); it->Next())
          f(it->key().ToString(), it->value().ToString());
        EXPECT_TRUE(it->status().ok());
      };
      scan(cf_events, [&](const std::string& k, const std::string& v) {
        v1::Event ev;
        EXPECT_TRUE(ev.ParseFromString(v));
        raw.events[get_be64(k.data())] = ev;
      });
      scan(cf_ids, [&](const std::string& k, const std::string& v) {
        raw.ids[k] = get_be64(v.data());
      });
      // Postings expanded to one key per event; each is keyed by its first
      // seq and lists increasing seqs.
      scan(cf_idx, [&](const std::string& k, const std::string& v) {
        ASSERT_GT(k.size(), 8u);
        std::vector<uint64_t> seqs;
        ASSERT_TRUE(decode_posting(index_entry_seq(k), v, seqs)) << k;
        for (auto seq : seqs) {
          auto one = k.substr(0, k.size() - 8);
          put_be64(one, seq);
          raw.idx.push_back(one);
        }
      });
      scan(cf_names, [&](const std::string& k, const std::string&) {
        raw.names.insert(k);
      });
      scan(cf_zones, [&](const std::string& k, const std::string&) {
        raw.zones.insert(get_be64(k.data()));
      });
      for (auto* h : handles)
        db->DestroyColumnFamilyHandle(h);
      delete db;
    }
    // Exactly the keys the live events produce.
    std::map<std::string, uint64_t> want_ids;
    std::vector<std::string> want_idx;
    std::set<std::string> want_names;
    std::set<uint64_t> event_blocks;
    std::string buf;
    for (auto& [seq, ev] : raw.events) {
      EXPECT_EQ(ev.seq(), seq);
      want_ids[ev.id()] = seq;
      for_each_index_key(ev, buf,
                         [&](std::string_view k) { want_idx.emplace_back(k); });
      want_names.insert(ev.name());
      event_blocks.insert(seq >> zone_shift_);
    }
    std::sort(want_idx.begin(), want_idx.end());
    EXPECT_EQ(raw.ids, want_ids);
    EXPECT_EQ(raw.idx, want_idx);
    EXPECT_EQ(raw.names, want_names);
    // Zones: every block with events has one; the only other one allowed
    // is the tail block (the writer keeps it).
    for (auto b : event_blocks)
      EXPECT_TRUE(raw.zones.count(b)) << "block " << b;
    open();
    for (auto b : raw.zones)
      EXPECT_TRUE(event_blocks.count(b) ||
                  b == (store_->last_seq() >> zone_shift_))
          << "stale zone " << b;
    return raw;
  }

  retention_result expire(const retention_policy& p, int64_t now,
                          size_t max_events = 100000) {
    auto r = store_->expire(p, now, max_events);
    EXPECT_TRUE(r) << caf::to_string(r.error());
    return r ? *r : retention_result{};
  }

  std::vector<uint64_t> seqs_where(event_query q) {
    q.limit = 1000;
    return run_all(q);
  }
};

// --- policy and parsing --------------------------------------------------

TEST(retention_policy_test, parses_durations) {
  EXPECT_EQ(parse_duration_ns("45s"), 45 * sec);
  EXPECT_EQ(parse_duration_ns("90m"), 90 * 60 * sec);
  EXPECT_EQ(parse_duration_ns("12h"), 12 * 3600 * sec);
  EXPECT_EQ(parse_duration_ns("30d"), 30 * day);
  EXPECT_EQ(parse_duration_ns("2w"), 14 * day);
  EXPECT_EQ(parse_duration_ns("250ms"), 250'000'000);
  for (auto bad :
       {"", "0s", "-1s", "1", "1x", "s", "1.5h", "1 d", "99999999999999999d"})
    EXPECT_FALSE(parse_duration_ns(bad)) << bad;
}

TEST(retention_policy_test, parses_sizes) {
  EXPECT_EQ(parse_byte_size("1048576"), 1048576u);
  EXPECT_EQ(parse_byte_size("500MiB"), 500ull << 20);
  EXPECT_EQ(parse_byte_size("10GiB"), 10ull << 30);
  EXPECT_EQ(parse_byte_size("2GB"), 2'000'000'000ull);
  EXPECT_EQ(parse_byte_size("7B"), 7u);
  for (auto bad :
       {"", "0", "10gib", "MiB", "-5", "1.5GiB", "99999999999999999999"})
    EXPECT_FALSE(parse_byte_size(bad)) << bad;
}

TEST(retention_policy_test, parses_rules) {
  auto r = parse_retention_rule("progress=1d");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pattern, "progress");
  EXPECT_EQ(r->max_age_ns, day);
  auto f = parse_retention_rule("audit.>=forever");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->pattern, "audit.>");
  EXPECT_FALSE(f->max_age_ns);
  EXPECT_EQ(api_code(parse_retention_rule("progress").error()),
            runtime::errc::invalid_parameter);
  EXPECT_EQ(api_code(parse_retention_rule("progress=soon").error()),
            runtime::errc::invalid_parameter);
  EXPECT_EQ(api_code(parse_retention_rule("a.>.b=1d").error()),
            runtime::errc::invalid_pattern);
}

TEST(retention_policy_test, first_matching_rule_decides) {
  retention_policy p;
  p.max_age_ns = 30 * day;
  p.rules = {{"job.progress", day}, {"job.>", std::nullopt}, {"*.x", sec}};
  EXPECT_EQ(p.max_age_for("job.progress"), day);
  EXPECT_EQ(p.max_age_for("job.x"), std::nullopt); // job.> before *.x
  EXPECT_EQ(p.max_age_for("a.x"), sec);
  EXPECT_EQ(p.max_age_for("other"), 30 * day);
  EXPECT_FALSE(p.keeps_everything());
  EXPECT_TRUE(retention_policy{}.keeps_everything());
}

// --- expire by age -----------------------------------------------------

TEST_F(retention_test, default_age_removes_old_events_with_every_key) {
  // 4 events per zone block, so that blocks get emptied (the shift is
  // fixed when a store is created: start a new one).
  store_.reset();
  std::filesystem::remove_all(options().dir);
  zone_shift_ = 2;
  open();
  // 10 old events (day 0), then 6 young ones (day 5), over 3 names.
  std::vector<v1::Event> old_evs, young_evs;
  for (int i = 0; i < 10; ++i)
    old_evs.push_back(full_event("old-" + std::to_string(i),
                                 i % 2 ? "a.one" : "b.two", t0 + i * sec));
  for (int i = 0; i < 6; ++i)
    young_evs.push_back(full_event("young-" + std::to_string(i),
                                   i % 2 ? "a.one" : "c.three",
                                   t0 + 5 * day + i * sec));
  append(old_evs, t0);
  append(young_evs, t0 + 5 * day);
  retention_policy p;
  p.max_age_ns = 3 * day;

  // Not old enough yet: nothing happens.
  EXPECT_EQ(expire(p, t0 + 3 * day - 1).events_deleted, 0u);
  auto r = expire(p, t0 + 6 * day);
  EXPECT_EQ(r.events_deleted, 10u);
  EXPECT_GT(r.bytes_deleted, 10u * 50);
  EXPECT_FALSE(r.more);

  const std::vector<uint64_t> young{11, 12, 13, 14, 15, 16};
  EXPECT_EQ(seqs_where({}), young);
  for (int i = 0; i < 10; ++i) {
    auto got = store_->get_by_id("old-" + std::to_string(i));
    ASSERT_TRUE(got);
    EXPECT_FALSE(*got);
    auto by_seq = store_->get_by_seq(static_cast<uint64_t>(i + 1));
    ASSERT_TRUE(by_seq);
    EXPECT_FALSE(*by_seq);
  }
  // Every index: nothing old comes back.
  auto only_young = [&](event_query q) {
    for (auto s : seqs_where(q))
      EXPECT_GE(s, 11u);
  };
  for (auto name : {"a.one", "b.two", "c.three", "*.*", ">", "b.*"}) {
    event_query q;
    q.name = name;
    only_young(q);
  }
  event_query q;
  q.name = "b.two";
  EXPECT_TRUE(seqs_where(q).empty());
  q = {};
  q.source = "svc-b.two";
  EXPECT_TRUE(seqs_where(q).empty());
  q = {};
  q.tenant = "tenant-b.two";
  EXPECT_TRUE(seqs_where(q).empty());
  q = {};
  q.user = "user-b.two";
  EXPECT_TRUE(seqs_where(q).empty());
  q = {};
  q.scope = "root/b.two";
  EXPECT_TRUE(seqs_where(q).empty());
  q = {};
  q.since_ns = t0;
  q.until_ns = t0 + day;
  EXPECT_TRUE(seqs_where(q).empty());
  q = {};
  q.scope = "root";
  q.descending = true;
  only_young(q);

  auto raw = check_raw();
  EXPECT_EQ(raw.events.size(), 6u);
  EXPECT_EQ(raw.names, (std::set<std::string>{"a.one", "c.three"}));
  // Blocks 0-2 held seqs 1-11; only block 2 (seq 11) keeps events.
  EXPECT_FALSE(raw.zones.count(0));
  EXPECT_FALSE(raw.zones.count(1));
}

TEST_F(retention_test, rule_expires_progress_after_a_day_others_stay) {
  std::vector<v1::Event> evs;
  for (int i = 0; i < 5; ++i) {
    evs.push_back(full_event("p-" + std::to_string(i), "progress"));
    evs.push_back(full_event("j-" + std::to_string(i), "job.done"));
    evs.push_back(full_event("s-" + std::to_string(i), "progress.step"));
  }
  append(evs, t0);
  append({full_event("p-late", "progress")}, t0 + 20 * 3600 * sec);
  retention_policy p; // no default age: everything else forever
  p.rules = {{"progress", day}};

  EXPECT_EQ(expire(p, t0 + day - 1).events_deleted, 0u);
  auto r = expire(p, t0 + day + sec);
  EXPECT_EQ(r.events_deleted, 5u);
  event_query q;
  q.name = "progress";
  EXPECT_EQ(seqs_where(q), std::vector<uint64_t>{16}); // the late one
  q.name = "job.done";
  EXPECT_EQ(seqs_where(q).size(), 5u);
  q.name = "progress.step"; // `progress` does not match `progress.step`
  EXPECT_EQ(seqs_where(q).size(), 5u);
  // Years later the other events are still there; the late one is gone.
  r = expire(p, t0 + 3000 * day);
  EXPECT_EQ(r.events_deleted, 1u);
  EXPECT_EQ(seqs_where({}).size(), 10u);
  auto raw = check_raw();
  EXPECT_EQ(raw.names, (std::set<std::string>{"job.done", "progress.step"}));
}

TEST_F(retention_test, rules_may_keep_longer_than_the_default_or_forever) {
  std::vector<v1::Event> evs;
  for (int i = 0; i < 4; ++i) {
    evs.push_back(full_event("a-" + std::to_string(i), "audit.login"));
    evs.push_back(full_event("k-" + std::to_string(i), "keep.me"));
    evs.push_back(full_event("o-" + std::to_string(i), "other"));
  }
  append(evs, t0);
  retention_policy p;
  p.max_age_ns = day;
  p.rules = {{"audit.>", 30 * day}, {"keep.*", std::nullopt}};
  EXPECT_EQ(expire(p, t0 + 2 * day).events_deleted, 4u); // `other`
  event_query q;
  q.name = "audit.login";
  EXPECT_EQ(seqs_where(q).size(), 4u);
  // The default walk resumes past what it decided; new old events still go.
  append({full_event("o-late", "other")}, t0 + 2 * day);
  EXPECT_EQ(expire(p, t0 + 10 * day).events_deleted, 1u);
  EXPECT_EQ(expire(p, t0 + 31 * day).events_deleted, 4u); // audit
  EXPECT_EQ(seqs_where({}).size(), 4u);                   // keep.me only
  q.name = "keep.me";
  EXPECT_EQ(seqs_where(q).size(), 4u);
  check_raw();
}

TEST_F(retention_test, limit_per_call_reports_more) {
  std::vector<v1::Event> evs;
  for (int i = 0; i < 700; ++i)
    evs.push_back(full_event("e-" + std::to_string(i), "n.x"));
  append(evs, t0);
  retention_policy p;
  p.max_age_ns = sec;
  auto r = expire(p, t0 + day, 300);
  EXPECT_EQ(r.events_deleted, 300u);
  EXPECT_TRUE(r.more);
  EXPECT_EQ(seqs_where({}).front(), 301u);
  r = expire(p, t0 + day, 300);
  EXPECT_EQ(r.events_deleted, 300u);
  r = expire(p, t0 + day, 300);
  EXPECT_EQ(r.events_deleted, 100u);
  EXPECT_FALSE(r.more);
  EXPECT_TRUE(seqs_where({}).empty());
  check_raw();
}

TEST_F(retention_test, seqs_are_never_reused_after_deleting_everything) {
  append({full_event("x1", "n"), full_event("x2", "n")}, t0);
  retention_policy p;
  p.max_age_ns = sec;
  EXPECT_EQ(expire(p, t0 + day).events_deleted, 2u);
  EXPECT_EQ(store_->last_seq(), 2u);
  reopen(); // recovery must not go back to seq 0
  EXPECT_EQ(store_->last_seq(), 2u);
  auto r = append({full_event("x3", "n")}, t0 + day);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].seq, 3u);
}

TEST_F(retention_test, an_expired_id_may_be_published_again_with_a_new_seq) {
  append({full_event("same-id", "progress")}, t0);
  // Inside the window: a duplicate.
  auto dup = append({full_event("same-id", "progress")}, t0 + sec);
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_TRUE(dup[0].duplicate);
  EXPECT_EQ(dup[0].seq, 1u);
  retention_policy p;
  p.rules = {{"progress", day}};
  EXPECT_EQ(expire(p, t0 + 2 * day).events_deleted, 1u);
  // Outside the window: stored again, with a new seq.
  auto again = append({full_event("same-id", "progress")}, t0 + 2 * day);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(again[0].duplicate);
  EXPECT_EQ(again[0].seq, 2u);
  auto got = store_->get_by_id("same-id");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->seq(), 2u);
  check_raw();
}

TEST_F(retention_test, invalid_policy_is_refused) {
  retention_policy p;
  p.rules = {{"a.>.b", day}};
  auto r = store_->expire(p, t0, 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(api_code(r.error()), runtime::errc::invalid_pattern);
}

// --- expire by size ------------------------------------------------------

TEST_F(retention_test, size_budget_removes_the_oldest_events_first) {
  std::mt19937_64 rng{7};
  std::string payload(1000, ' ');
  for (int batch = 0; batch < 4; ++batch) {
    std::vector<v1::Event> evs;
    for (int i = 0; i < 500; ++i) {
      for (auto& c : payload) // incompressible
        c = static_cast<char>('a' + rng() % 26);
      auto ev = full_event("s-" + std::to_string(batch * 500 + i), "big");
      ev.set_data_json("\"" + payload + "\"");
      evs.push_back(std::move(ev));
    }
    append(evs, t0); // all young: only the size applies
  }
  ASSERT_FALSE(store_->flush()); // estimates are close on files
  auto before = store_->estimated_live_bytes();
  ASSERT_TRUE(before);
  EXPECT_GT(*before, 2000u * 1000);
  retention_policy p;
  p.max_age_ns = 365 * day;
  p.max_bytes = *before / 2;
  auto r = expire(p, t0 + sec);
  EXPECT_GT(r.events_deleted, 0u);
  auto after = store_->estimated_live_bytes();
  ASSERT_TRUE(after);
  EXPECT_LE(*after, *p.max_bytes);
  // The oldest went first: the rest is a contiguous suffix.
  auto seqs = seqs_where({});
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(seqs.back(), 2000u);
  EXPECT_EQ(seqs.front(), 2000u - seqs.size() + 1);
  // About half is left: not everything was thrown away.
  EXPECT_GT(seqs.size(), 700u);
  EXPECT_LT(seqs.size(), 1100u);
  // Under budget: the next call deletes nothing.
  EXPECT_EQ(expire(p, t0 + 2 * sec).events_deleted, 0u);
  check_raw();
}

TEST_F(retention_test, held_events_outlive_their_age_rules) {
  std::vector<v1::Event> evs;
  for (int i = 0; i < 6; ++i) {
    evs.push_back(full_event("h-" + std::to_string(i), "progress"));
    evs.push_back(full_event("d-" + std::to_string(i), "job.done"));
  }
  append(evs, t0); // seqs 1..12
  retention_policy p;
  p.max_age_ns = day;            // the default pass
  p.rules = {{"progress", day}}; // and a rule's pass
  p.hold_from_seq = 7;           // a subscription delivered up to seq 6
  auto r = expire(p, t0 + 2 * day);
  EXPECT_EQ(r.events_deleted, 6u);
  EXPECT_TRUE(r.forced.empty());
  EXPECT_EQ(seqs_where({}), (std::vector<uint64_t>{7, 8, 9, 10, 11, 12}));
  // The subscription moves on: the rest goes too.
  p.hold_from_seq = UINT64_MAX;
  EXPECT_EQ(expire(p, t0 + 2 * day).events_deleted, 6u);
  check_raw();
}

TEST_F(retention_test, size_budget_forces_out_held_events_and_hands_them_back) {
  std::mt19937_64 rng{11};
  std::string payload(1000, ' ');
  std::vector<v1::Event> evs;
  for (int i = 0; i < 1000; ++i) {
    for (auto& c : payload)
      c = static_cast<char>('a' + rng() % 26);
    auto ev = full_event("f-" + std::to_string(i), "big");
    ev.set_data_json("\"" + payload + "\"");
    evs.push_back(std::move(ev));
  }
  append(evs, t0);
  ASSERT_FALSE(store_->flush());
  auto before = store_->estimated_live_bytes();
  ASSERT_TRUE(before);
  retention_policy p;
  p.max_bytes = *before / 2;
  p.hold_from_seq = 101; // held from seq 101 on
  auto r = expire(p, t0 + sec);
  ASSERT_GT(r.events_deleted, 100u);
  // Every deleted event from 101 on is handed back, in seq order.
  ASSERT_EQ(r.forced.size(), r.events_deleted - 100);
  for (size_t i = 0; i < r.forced.size(); ++i) {
    EXPECT_EQ(r.forced[i].seq(), 101 + i);
    EXPECT_EQ(r.forced[i].id(), "f-" + std::to_string(100 + i));
    EXPECT_FALSE(r.forced[i].data_json().empty());
  }
}

// --- concurrency ---------------------------------------------------------

TEST_F(retention_test, appends_during_expiry_lose_nothing) {
  constexpr int old_count = 6000;
  for (int b = 0; b < old_count / 500; ++b) {
    std::vector<v1::Event> evs;
    for (int i = 0; i < 500; ++i)
      evs.push_back(full_event("old-" + std::to_string(b * 500 + i),
                               i % 3 ? "progress" : "other.x"));
    append(evs, t0);
  }
  std::atomic<bool> failed{false};
  constexpr int young_batches = 60;
  std::thread writer{[&] {
    for (int b = 0; b < young_batches; ++b) {
      std::vector<v1::Event> evs;
      for (int i = 0; i < 100; ++i)
        evs.push_back(full_event("young-" + std::to_string(b * 100 + i),
                                 i % 2 ? "progress" : "other.x",
                                 t0 + 10 * day));
      if (!store_->append(evs, "n1", t0 + 10 * day))
        failed = true;
    }
  }};
  retention_policy p;
  p.max_age_ns = 5 * day;
  p.rules = {{"progress", day}};
  uint64_t deleted = 0;
  for (int round = 0; round < 1000; ++round) {
    auto r = expire(p, t0 + 10 * day, 200);
    deleted += r.events_deleted;
    if (!r.more && deleted == old_count)
      break;
  }
  writer.join();
  EXPECT_FALSE(failed);
  EXPECT_EQ(deleted, static_cast<uint64_t>(old_count));
  auto seqs = seqs_where({});
  ASSERT_EQ(seqs.size(), static_cast<size_t>(young_batches * 100));
  for (size_t i = 0; i < seqs.size(); ++i)
    EXPECT_EQ(seqs[i], old_count + 1 + i);
  for (int i = 0; i < young_batches * 100; i += 997) {
    auto got = store_->get_by_id("young-" + std::to_string(i));
    ASSERT_TRUE(got);
    EXPECT_TRUE(*got) << i;
  }
  check_raw();
}

// One commit writes one index entry per value (a posting of many seqs):
// a rule that takes one name's events out of the middle, first seq
// included, over several limited calls, leaves exactly the others' events
// findable through the values they share, in both directions and across
// pages.
TEST_F(retention_test, rules_take_seqs_out_of_shared_index_entries) {
  std::vector<v1::Event> evs;
  for (int i = 0; i < 600; ++i) {
    auto ev = full_event("e-" + std::to_string(i), i % 3 == 0 ? "a.x" : "b.x");
    ev.set_tenant("shared");
    ev.set_scope("org/team");
    evs.push_back(std::move(ev));
  }
  append(evs, t0); // seqs 1..600; a.x at 1, 4, 7, ...
  retention_policy p;
  p.rules = {{"a.x", day}};
  std::vector<uint64_t> b_seqs;
  for (uint64_t s = 1; s <= 600; ++s)
    if ((s - 1) % 3 != 0)
      b_seqs.push_back(s);
  size_t deleted = 0;
  for (int call = 0; call < 10 && deleted < 200; ++call) {
    auto r = expire(p, t0 + 2 * day, 70);
    deleted += r.events_deleted;
    // Between calls: every b.x event and the a.x events not yet deleted.
    event_query q;
    q.tenant = "shared";
    auto all = seqs_where(q);
    EXPECT_EQ(all.size(), 600 - deleted);
    EXPECT_TRUE(
        std::includes(all.begin(), all.end(), b_seqs.begin(), b_seqs.end()));
  }
  EXPECT_EQ(deleted, 200u);
  for (bool desc : {false, true}) {
    event_query q;
    q.scope = "org";
    q.descending = desc;
    q.limit = 7; // pages of 7: cursors inside the entries
    auto got = run_all(q);
    auto want = b_seqs;
    if (desc)
      std::reverse(want.begin(), want.end());
    EXPECT_EQ(got, want) << (desc ? "desc" : "asc");
    q.scope.reset();
    q.tenant = "shared";
    q.name = "b.x"; // an intersection: seeks into the entries
    EXPECT_EQ(run_all(q), want) << (desc ? "desc" : "asc");
  }
  event_query a;
  a.name = "a.x";
  EXPECT_TRUE(seqs_where(a).empty());
  auto raw = check_raw(); // the index holds exactly the events' keys
  EXPECT_EQ(raw.names, (std::set<std::string>{"b.x"}));
}

} // namespace
} // namespace herald::storage::test
