// The curl multi pool against tools/http's loopback receiver: real sockets,
// keep-alive, batches in order, the first failure ends a batch, transport
// errors as status 0, bodies capped, stop() cancels what is in flight.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "actors/delivery/http_pool.hpp"
#include "tests/support/heraldd_process.hpp"
#include "tools/http/http_receiver.hpp"

namespace {

using namespace std::chrono_literals;
using herald::delivery::batch_result;
using herald::delivery::http_pool;
using herald::delivery::http_pool_options;
using herald::flow::delivery_request;
using herald::http::http_receiver;
using herald::http::received_request;
using herald::http::receiver_answer;
using herald::test::free_port;
using herald::test::wait_for;
using steady = std::chrono::steady_clock;

/// `n` requests to `url`, each with its sequence number in a header and in
/// its body.
std::vector<delivery_request> make_batch(const std::string& url, size_t n,
                                         const std::string& tag = "t") {
  std::vector<delivery_request> out;
  for (size_t i = 0; i < n; ++i) {
    delivery_request r;
    r.url = url;
    r.headers = {{"Content-Type", "application/json"},
                 {"X-Seq", std::to_string(i)},
                 {"X-Tag", tag}};
    r.body = R"({"tag":")" + tag + R"(","seq":)" + std::to_string(i) + "}";
    out.push_back(std::move(r));
  }
  return out;
}

/// Where a batch's callback puts its result; waits on a condition with a
/// deadline.
struct result_box {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<batch_result> result;
  int calls = 0;
  std::thread::id thread;

  std::function<void(batch_result)> callback() {
    return [this](batch_result r) {
      std::lock_guard lock{mu};
      result = std::move(r);
      ++calls;
      thread = std::this_thread::get_id();
      cv.notify_all();
    };
  }

  /// The result, or nullopt when none came within `deadline`.
  std::optional<batch_result> wait(std::chrono::milliseconds deadline) {
    std::unique_lock lock{mu};
    cv.wait_for(lock, deadline, [this] { return result.has_value(); });
    return result;
  }
};

receiver_answer answer(int status, std::string body = {}) {
  receiver_answer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

TEST(HttpPool, BatchArrivesCompleteAndInOrderOnOneConnection) {
  http_receiver rx;
  http_pool pool;
  result_box box;
  pool.submit(make_batch(rx.url("/hook"), 100), box.callback());
  auto r = box.wait(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->delivered, 100u);
  EXPECT_FALSE(r->failed);
  EXPECT_FALSE(r->cancelled);
  EXPECT_NE(box.thread, std::this_thread::get_id());
  EXPECT_EQ(pool.requests_sent(), 100u);

  auto got = rx.requests();
  ASSERT_EQ(got.size(), 100u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].method, "POST");
    EXPECT_EQ(got[i].target, "/hook");
    EXPECT_EQ(got[i].headers["x-seq"], std::to_string(i));
    EXPECT_EQ(got[i].headers["content-type"], "application/json");
    EXPECT_EQ(got[i].headers.count("expect"), 0u);
    EXPECT_EQ(got[i].body, R"({"tag":"t","seq":)" + std::to_string(i) + "}");
  }
  // Keep-alive: the 100 requests one after another shared one connection.
  EXPECT_EQ(rx.connections(), 1u);

  // A second batch reuses the connection the pool keeps open.
  result_box again;
  pool.submit(make_batch(rx.url("/hook"), 5), again.callback());
  ASSERT_TRUE(again.wait(10s));
  EXPECT_EQ(again.result->delivered, 5u);
  EXPECT_EQ(rx.connections(), 1u);
}

TEST(HttpPool, BatchStopsAtTheFirstFailure) {
  http_receiver rx;
  rx.respond_with([](const received_request& req) {
    if (req.headers.at("x-seq") != "3")
      return answer(200);
    auto a = answer(503, "busy");
    a.headers = {{"rEtRy-AfTeR", " 120 "}};
    return a;
  });
  http_pool pool;
  result_box box;
  pool.submit(make_batch(rx.url(), 10), box.callback());
  auto r = box.wait(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->delivered, 3u);
  EXPECT_TRUE(r->failed);
  EXPECT_FALSE(r->cancelled);
  EXPECT_EQ(r->failure.status, 503);
  EXPECT_EQ(r->failure.retry_after, "120");
  EXPECT_EQ(r->failure.body, "busy");
  EXPECT_TRUE(r->failure.error.empty());
  EXPECT_EQ(rx.count(), 4u); // nothing after the failure was sent
  EXPECT_EQ(pool.requests_sent(), 4u);
}

TEST(HttpPool, AnswerWithoutRetryAfterLeavesItEmpty) {
  http_receiver rx;
  rx.respond_status(429);
  http_pool pool;
  result_box box;
  pool.submit(make_batch(rx.url(), 2), box.callback());
  auto r = box.wait(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->delivered, 0u);
  EXPECT_EQ(r->failure.status, 429);
  EXPECT_EQ(r->failure.retry_after, "");
}

TEST(HttpPool, RedirectsAreNotFollowed) {
  http_receiver rx;
  rx.respond_with([&rx](const received_request&) {
    auto a = answer(302);
    a.headers = {{"Location", rx.url("/elsewhere")}};
    return a;
  });
  http_pool pool;
  result_box box;
  pool.submit(make_batch(rx.url("/first"), 1), box.callback());
  auto r = box.wait(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->failure.status, 302);
  EXPECT_EQ(rx.count(), 1u);
}

TEST(HttpPool, HangingReceiverTimesOutWithinTheTotalTimeout) {
  http_receiver rx;
  rx.respond_with([](const received_request&) {
    receiver_answer a;
    a.hang = true;
    return a;
  });
  http_pool_options opts;
  opts.total_timeout = 300ms;
  http_pool pool{opts};
  result_box box;
  const auto start = steady::now();
  pool.submit(make_batch(rx.url(), 3), box.callback());
  auto r = box.wait(10s);
  const auto took = steady::now() - start;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->delivered, 0u);
  EXPECT_TRUE(r->failed);
  EXPECT_EQ(r->failure.status, 0);
  EXPECT_NE(r->failure.error.find("timed out"), std::string::npos)
      << r->failure.error;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(rx.count(), 1u);
  // The receiver goes away with the hanging request still held.
}

TEST(HttpPool, ConnectionRefusedIsStatusZero) {
  http_pool pool;
  result_box box;
  const auto port = free_port();
  pool.submit(make_batch("http://127.0.0.1:" + std::to_string(port) + "/", 2),
              box.callback());
  auto r = box.wait(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->delivered, 0u);
  EXPECT_TRUE(r->failed);
  EXPECT_EQ(r->failure.status, 0);
  EXPECT_EQ(r->failure.error, "connection refused");
}

/// A listener that answers every connection with `reply` (bytes that are
/// not HTTP) and closes it; stops when destroyed.
class garbage_server {
public:
  explicit garbage_server(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread{[this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0)
          return; // shut down
        char buf[4096];
        [[maybe_unused]] auto got = ::recv(c, buf, sizeof buf, 0);
        [[maybe_unused]] auto sent =
            ::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    }};
  }
  ~garbage_server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/";
  }

private:
  std::string reply_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(HttpPool, AReceiverAnsweringGarbageCostsOneFailedAttempt) {
  garbage_server server{"SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n\r\n"};
  http_pool pool;
  result_box box;
  pool.submit(make_batch(server.url(), 3), box.callback());
  auto r = box.wait(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->delivered, 0u);
  EXPECT_TRUE(r->failed);
  EXPECT_EQ(r->failure.status, 0);
  EXPECT_FALSE(r->failure.error.empty());
  EXPECT_EQ(pool.requests_sent(), 1u); // the batch stopped there
}

TEST(HttpPool, OtherSchemesAreRefused) {
  http_pool pool;
  result_box box;
  pool.submit(make_batch("file:///etc/passwd", 1), box.callback());
  auto r = box.wait(10s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->failed);
  EXPECT_EQ(r->failure.status, 0);
  EXPECT_FALSE(r->failure.error.empty());
  EXPECT_TRUE(r->failure.body.empty());
}

TEST(HttpPool, HugeBodiesAreReadButKeptUpToTheCap) {
  http_receiver rx;
  const std::string huge(10 * 1024 * 1024, 'x');
  rx.respond_with([&huge](const received_request& req) {
    return answer(req.headers.at("x-seq") == "1" ? 500 : 200, huge);
  });
  http_pool_options opts;
  opts.max_response_bytes = 1000;
  http_pool pool{opts};
  result_box box;
  pool.submit(make_batch(rx.url(), 3), box.callback());
  auto r = box.wait(20s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->delivered, 1u); // the first 10 MiB answer was a 200
  EXPECT_EQ(r->failure.status, 500);
  EXPECT_EQ(r->failure.body, std::string(1000, 'x'));
}

TEST(HttpPool, ConcurrentBatchesFromManySubmittersAllComplete) {
  http_receiver rx;
  http_pool pool;
  constexpr size_t submitters = 8, batches = 5, per_batch = 20;
  std::vector<result_box> boxes(submitters * batches);
  std::vector<std::thread> threads;
  for (size_t s = 0; s < submitters; ++s)
    threads.emplace_back([&, s] {
      for (size_t b = 0; b < batches; ++b) {
        auto tag = std::to_string(s) + "-" + std::to_string(b);
        pool.submit(
            make_batch(rx.url("/s" + std::to_string(s)), per_batch, tag),
            boxes[s * batches + b].callback());
      }
    });
  for (auto& t : threads)
    t.join();
  for (auto& box : boxes) {
    auto r = box.wait(20s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->delivered, per_batch);
    EXPECT_FALSE(r->failed);
    EXPECT_EQ(box.calls, 1);
  }
  EXPECT_EQ(rx.count(), submitters * batches * per_batch);
  EXPECT_EQ(pool.requests_sent(), submitters * batches * per_batch);
  // Each batch arrived in order, whatever ran beside it.
  std::map<std::string, size_t> next;
  for (const auto& req : rx.requests()) {
    auto& expected = next[req.headers.at("x-tag")];
    EXPECT_EQ(req.headers.at("x-seq"), std::to_string(expected));
    ++expected;
  }
  EXPECT_EQ(next.size(), submitters * batches);
}

TEST(HttpPool, StopCancelsWhatIsInFlightAndRefusesLaterBatches) {
  http_receiver rx;
  rx.respond_with([](const received_request& req) {
    receiver_answer a;
    a.hang = req.headers.at("x-seq") == "1";
    return a;
  });
  http_pool_options opts;
  opts.total_timeout = 60s;
  http_pool pool{opts};
  result_box box;
  pool.submit(make_batch(rx.url(), 3), box.callback());
  ASSERT_TRUE(wait_for([&] { return rx.count() == 2; }, 10s));
  const auto start = steady::now();
  pool.stop();
  auto r = box.wait(5s);
  ASSERT_TRUE(r);
  EXPECT_LT(steady::now() - start, 2s);
  EXPECT_TRUE(r->cancelled);
  EXPECT_EQ(r->delivered, 1u);

  // Later batches end at once, on the caller's thread, cancelled.
  result_box late;
  pool.submit(make_batch(rx.url(), 1), late.callback());
  ASSERT_TRUE(late.result);
  EXPECT_TRUE(late.result->cancelled);
  EXPECT_EQ(late.thread, std::this_thread::get_id());
  pool.stop(); // idempotent
  EXPECT_EQ(rx.count(), 2u);
}

TEST(HttpPool, DestroyingThePoolCancelsItsBatches) {
  http_receiver rx;
  rx.respond_with([](const received_request&) {
    receiver_answer a;
    a.hang = true;
    return a;
  });
  result_box box;
  {
    http_pool_options opts;
    opts.total_timeout = 60s;
    http_pool pool{opts};
    pool.submit(make_batch(rx.url(), 1), box.callback());
    ASSERT_TRUE(wait_for([&] { return rx.count() == 1; }, 10s));
  }
  ASSERT_TRUE(box.result); // before the destructor returned
  EXPECT_TRUE(box.result->cancelled);
}

TEST(HttpReceiver, DestroyedWithAHangingRequestClosesItsConnections) {
  auto rx = std::make_unique<http_receiver>();
  rx->respond_with([](const received_request&) {
    receiver_answer a;
    a.hang = true;
    return a;
  });
  http_pool_options opts;
  opts.total_timeout = 60s;
  http_pool pool{opts};
  result_box box;
  pool.submit(make_batch(rx->url(), 1), box.callback());
  ASSERT_TRUE(wait_for([&] { return rx->count() == 1; }, 10s));
  const auto start = steady::now();
  rx.reset(); // neither blocks nor answers the hanging request
  EXPECT_LT(steady::now() - start, 2s);
  // Its connection closed with it: the pool learns at once, long before
  // its 60 s timeout, with no status.
  auto r = box.wait(5s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->failed);
  EXPECT_EQ(r->failure.status, 0);
  EXPECT_EQ(r->failure.error.find("timed out"), std::string::npos);
}

TEST(HttpReceiver, RecordsCountsAndClears) {
  http_receiver rx;
  http_pool pool;
  result_box box;
  rx.set_record(false);
  pool.submit(make_batch(rx.url(), 3), box.callback());
  ASSERT_TRUE(box.wait(10s));
  EXPECT_EQ(rx.count(), 3u);
  EXPECT_TRUE(rx.requests().empty());
  rx.clear();
  EXPECT_EQ(rx.count(), 0u);
  rx.set_record(true);
  result_box again;
  pool.submit(make_batch(rx.url("/x?y=1"), 1), again.callback());
  ASSERT_TRUE(again.wait(10s));
  ASSERT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(rx.requests()[0].target, "/x?y=1");
  EXPECT_EQ(rx.requests()[0].headers.at("user-agent"), "herald/0.1");
}

} // namespace
