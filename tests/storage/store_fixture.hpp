#pragma once

// Shared helpers of the storage tests: a temp directory removed afterwards,
// an event builder, and error-code checks.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "herald/v1/event.pb.h"
#include "runtime/errc.hpp"
#include "storage/errc.hpp"
#include "storage/event_store.hpp"

namespace herald::storage::test {

/// A fresh directory under the system temp dir, removed with its contents.
class temp_dir {
public:
  temp_dir() {
    auto pattern =
        (std::filesystem::temp_directory_path() / "herald-st-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

inline v1::Event make_event(std::string id, std::string name,
                            int64_t time_ns = 1'000'000) {
  v1::Event ev;
  ev.set_id(std::move(id));
  ev.set_name(std::move(name));
  ev.set_time_ns(time_ns);
  return ev;
}

inline runtime::errc api_code(const caf::error& err) {
  return runtime::describe(err).code;
}

inline bool is_storage_error(const caf::error& err, errc code) {
  return err && err.category() == caf::atom("storage") &&
         err.code() == static_cast<uint8_t>(code);
}

/// A store in its own temp dir; reopen() closes and opens it again.
class store_test : public ::testing::Test {
protected:
  store_options options() const {
    store_options opts;
    opts.dir = dir_.path() / "db";
    opts.sync = false; // fsync is tested by the recovery test
    opts.block_cache_bytes = 8u << 20;
    opts.write_buffer_bytes = 4u << 20;
    opts.zone_block_shift = zone_shift_;
    return opts;
  }

  void SetUp() override { open(); }

  void open() {
    auto s = event_store::open(options());
    ASSERT_TRUE(s) << caf::to_string(s.error());
    store_ = std::move(*s);
  }

  void reopen() {
    store_.reset();
    open();
  }

  /// Appends and expects success.
  std::vector<append_result> append(std::vector<v1::Event> evs,
                                    int64_t accept_ns = 42) {
    auto r = store_->append(evs, "n1", accept_ns);
    EXPECT_TRUE(r) << caf::to_string(r.error());
    return r ? *r : std::vector<append_result>{};
  }

  query_page
  run(const event_query& q,
      const runtime::identity& who = runtime::identity::anonymous_admin()) {
    auto r = store_->query(q, who);
    EXPECT_TRUE(r) << caf::to_string(r.error());
    return r ? std::move(*r) : query_page{};
  }

  /// Follows `next` until the end and returns every event's seq.
  std::vector<uint64_t>
  run_all(event_query q,
          const runtime::identity& who = runtime::identity::anonymous_admin()) {
    std::vector<uint64_t> out;
    for (size_t pages = 0; pages < 100000; ++pages) {
      auto page = run(q, who);
      for (auto& ev : page.events)
        out.push_back(ev.seq());
      if (page.next.empty())
        return out;
      q.after = page.next;
    }
    ADD_FAILURE() << "paging did not end";
    return out;
  }

  uint32_t zone_shift_ = 12;
  temp_dir dir_;
  std::unique_ptr<event_store> store_;
};

inline std::vector<uint64_t> seqs_of(const query_page& page) {
  std::vector<uint64_t> out;
  for (auto& ev : page.events)
    out.push_back(ev.seq());
  return out;
}

} // namespace herald::storage::test
