// Crash recovery for real: a child process appends with sync=true and
// reports every acknowledged seq through a pipe; the parent kill -9s it
// mid-stream, reopens the store and finds every acknowledged event.
//
// The child is this test binary re-executed (fork + exec) on a disabled
// test that only runs when HERALD_RECOVERY_CHILD is set: a fresh process
// image, so no RocksDB thread state is inherited across fork.

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/storage/store_fixture.hpp"

extern char** environ;

namespace herald::storage::test {
namespace {

constexpr const char* child_env = "HERALD_RECOVERY_CHILD";
constexpr int events_per_batch = 50;
constexpr int max_batches = 4000; // the child stops by itself after these
constexpr size_t acks_before_kill = 300;

std::string id_of(uint64_t batch, int i) {
  return "b" + std::to_string(batch) + "-" + std::to_string(i);
}

std::vector<v1::Event> make_batch(uint64_t batch) {
  std::vector<v1::Event> evs;
  evs.reserve(events_per_batch);
  for (int i = 0; i < events_per_batch; ++i) {
    auto ev = make_event(id_of(batch, i), "recovery.appended",
                         static_cast<int64_t>(batch * 1000 + i));
    ev.set_source("test");
    ev.set_scope("recovery/b" + std::to_string(batch % 7));
    ev.set_data_json("\"" + std::string(254, 'p') + "\"");
    evs.push_back(std::move(ev));
  }
  return evs;
}

// Child side: only runs when re-executed by the parent.
TEST(recovery_test, DISABLED_child_append_loop) {
  const char* spec = std::getenv(child_env);
  if (spec == nullptr)
    GTEST_SKIP() << "runs only as the child of kill_9_loses_nothing_acked";
  std::string s{spec};
  auto colon = s.rfind(':');
  int fd = std::stoi(s.substr(colon + 1));
  store_options opts;
  opts.dir = s.substr(0, colon);
  opts.sync = true;
  auto store = event_store::open(opts);
  if (!store)
    _exit(2);
  for (uint64_t b = 0; b < max_batches; ++b) {
    auto evs = make_batch(b);
    auto r = (*store)->append(evs, "child", static_cast<int64_t>(b));
    if (!r)
      _exit(3);
    uint64_t ack = r->back().seq; // every seq of the batch is acknowledged
    if (::write(fd, &ack, sizeof ack) != sizeof ack)
      _exit(4);
  }
  _exit(0);
}

bool read_ack(int fd, uint64_t& out) {
  size_t got = 0;
  auto* p = reinterpret_cast<char*>(&out);
  while (got < sizeof out) {
    auto n = ::read(fd, p + got, sizeof out - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

TEST(recovery_test, kill_9_loses_nothing_acked) {
  temp_dir dir;
  const auto db = dir.path() / "db";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);

  // Everything the child needs is built before fork.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe");
  std::vector<std::string> args{
      self, "--gtest_also_run_disabled_tests",
      "--gtest_filter=recovery_test.DISABLED_child_append_loop"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string child_spec =
      std::string{child_env} + "=" + db.string() + ":" + std::to_string(fds[1]);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, child_env, std::strlen(child_env)) != 0)
      envp.push_back(*e);
  envp.push_back(child_spec.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    int null_fd = ::open("/dev/null", O_WRONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, 1);
      ::dup2(null_fd, 2);
    }
    ::execve(self.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  ::close(fds[1]);

  std::vector<uint64_t> acks;
  uint64_t ack = 0;
  while (acks.size() < acks_before_kill && read_ack(fds[0], ack))
    acks.push_back(ack);
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  // Acks still in the pipe were acknowledged before the kill, too.
  while (read_ack(fds[0], ack))
    acks.push_back(ack);
  ::close(fds[0]);
  ASSERT_GE(acks.size(), acks_before_kill)
      << "child ended early, status " << status;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (size_t i = 1; i < acks.size(); ++i)
    ASSERT_EQ(acks[i], acks[i - 1] + events_per_batch);
  const uint64_t max_ack = acks.back();

  store_options opts;
  opts.dir = db;
  opts.sync = true;
  auto reopened = event_store::open(opts);
  ASSERT_TRUE(reopened) << caf::to_string(reopened.error());
  auto& store = **reopened;
  const uint64_t last = store.last_seq();
  ASSERT_GE(last, max_ack);
  // Whole batches only (a batch is one atomic write), none missing.
  EXPECT_EQ(last % events_per_batch, 0u);
  for (uint64_t seq = 1; seq <= last; ++seq) {
    auto ev = store.get_by_seq(seq);
    ASSERT_TRUE(ev) << caf::to_string(ev.error());
    ASSERT_TRUE(ev->has_value()) << "acknowledged seq " << seq << " lost";
    const uint64_t batch = (seq - 1) / events_per_batch;
    const int i = static_cast<int>((seq - 1) % events_per_batch);
    ASSERT_EQ((*ev)->id(), id_of(batch, i));
    ASSERT_EQ((*ev)->seq(), seq);
    ASSERT_EQ((*ev)->data_json().size(), 256u);
  }
  auto by_id = store.get_by_id(
      id_of((max_ack - 1) / events_per_batch, events_per_batch - 1));
  ASSERT_TRUE(by_id && *by_id);
  EXPECT_EQ((*by_id)->seq(), max_ack);

  // The indexes recovered with the events.
  event_query q;
  q.name = "recovery.*";
  q.scope = "recovery";
  q.limit = 1000;
  q.descending = true;
  uint64_t counted = 0;
  uint64_t expect = last;
  for (;;) {
    auto page = store.query(q, runtime::identity::anonymous_admin());
    ASSERT_TRUE(page);
    for (auto& ev : page->events)
      ASSERT_EQ(ev.seq(), expect--);
    counted += page->events.size();
    if (page->next.empty())
      break;
    q.after = page->next;
  }
  EXPECT_EQ(counted, last);

  // Appending continues right after the recovered tail, without a gap; a
  // re-sent acknowledged batch is recognised as duplicate.
  auto again = make_batch((max_ack - 1) / events_per_batch);
  auto dup = store.append(again, "parent", 1);
  ASSERT_TRUE(dup);
  for (auto& r : *dup)
    EXPECT_TRUE(r.duplicate);
  auto fresh = make_batch(1'000'000);
  auto r = store.append(fresh, "parent", 1);
  ASSERT_TRUE(r) << caf::to_string(r.error());
  EXPECT_EQ(r->front().seq, last + 1);
  EXPECT_EQ(r->back().seq, last + events_per_batch);
  EXPECT_EQ(store.last_seq(), last + events_per_batch);
}

} // namespace
} // namespace herald::storage::test
