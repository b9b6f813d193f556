// docs/CLIENT.md's example: connect with a token, subscribe to a pattern,
// publish an event, see it arrive, and find it by query.
//
//   publish_and_subscribe HOST PORT TOKEN
//
// Prints "published <id> seq=<n>", "received <name> seq=<n>" and
// "queried <count> event(s)"; exits 0, or 1 with the error.

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>

#include "runtime/errc.hpp"
#include "tools/client/client.hpp"

namespace hc = herald::client;

int fail(const caf::error& err) {
  auto e = herald::runtime::describe(err);
  std::cerr << "error: " << e.code_str() << ": " << e.message << "\n";
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: publish_and_subscribe HOST PORT TOKEN\n";
    return 2;
  }
  hc::connect_options opts;
  opts.host = argv[1];
  opts.port = static_cast<uint16_t>(std::stoi(argv[2]));
  opts.token = argv[3];
  auto conn = hc::connection::connect(opts);
  if (!conn)
    return fail(conn.error());

  // Events arrive on a CAF thread: hand them over with a condition variable.
  std::mutex mx;
  std::condition_variable cv;
  bool received = false;
  hc::subscribe_options sub_opts;
  sub_opts.name = "example.>";
  auto sub = conn->subscribe(sub_opts, [&](const herald::v1::Event& ev) {
    std::lock_guard<std::mutex> guard{mx};
    std::cout << "received " << ev.name() << " seq=" << ev.seq() << std::endl;
    received = true;
    cv.notify_all();
  });
  if (!sub)
    return fail(sub.error());

  herald::v1::Event ev;
  ev.set_name("example.greeting");
  ev.set_source("client-example");
  ev.set_data_json(R"({"hello":"world"})");
  ev.set_time_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count());
  ev.set_id("example-1");
  auto acks = conn->publish({ev});
  if (!acks)
    return fail(acks.error());
  for (auto& ack : *acks) {
    // The callback prints on another thread: one line at a time.
    std::lock_guard<std::mutex> guard{mx};
    std::cout << "published " << ack.id << " seq=" << ack.seq << std::endl;
  }

  {
    std::unique_lock<std::mutex> lock{mx};
    if (!cv.wait_for(lock, std::chrono::seconds(10),
                     [&] { return received; })) {
      std::cerr << "error: no event within 10 s\n";
      return 1;
    }
  }

  herald::protocol::event_query q;
  q.name = "example.*";
  auto page = conn->query(q);
  if (!page)
    return fail(page.error());
  std::cout << "queried " << page->events.size() << " event(s)" << std::endl;
  sub->cancel();
  return 0;
}
