#include "tests/support/actor_fixture.hpp"

#include <atomic>
#include <cstdlib>
#include <system_error>

#include <caf/atom.hpp>
#include <caf/send.hpp>

namespace herald::test {

// -- temp_dir -----------------------------------------------------------------

temp_dir::temp_dir() {
  auto tmpl = (std::filesystem::temp_directory_path() / "herald-actors-XXXXXX")
                  .string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

std::shared_ptr<storage::event_store>
open_store(const std::filesystem::path& dir) {
  storage::store_options opts;
  opts.dir = dir / "db";
  opts.sync = false; // durability is not what these tests observe
  auto store = storage::event_store::open(opts);
  if (!store) {
    ADD_FAILURE() << "cannot open store: " << caf::to_string(store.error());
    return nullptr;
  }
  return std::shared_ptr<storage::event_store>{std::move(*store)};
}

} // namespace

v1::Event make_event(const std::string& name, std::string id) {
  static std::atomic<uint64_t> counter{0};
  v1::Event ev;
  ev.set_name(name);
  if (id.empty())
    id = name + "-" + std::to_string(++counter);
  ev.set_id(std::move(id));
  ev.set_source("test");
  ev.set_time_ns(1'000'000'000);
  return ev;
}

std::vector<uint64_t> delivery_log::seqs() const {
  std::vector<uint64_t> out;
  for (auto& batch : batches)
    for (auto& ev : batch)
      out.push_back(ev->seq());
  return out;
}

size_t delivery_log::size() const {
  size_t n = 0;
  for (auto& batch : batches)
    n += batch.size();
  return n;
}

// -- actor_fixture ------------------------------------------------------------

actor_fixture::actor_fixture() {
  store_ = open_store(dir_.path());
  cfg_.set("scheduler.policy", caf::atom("testing"));
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
}

actor_fixture::~actor_fixture() {
  for (auto& node : nodes_)
    actors::stop_node(*sys_, node);
  nodes_.clear();
  run();
  sys_.reset(); // test_coordinator::stop runs what is left
  store_.reset();
}

actors::node_handles actor_fixture::spawn_test_node(actors::node_options opts) {
  opts.inline_io = true;
  if (opts.node_id.empty())
    opts.node_id = "n1";
  auto node = actors::spawn_node(*sys_, store_, opts);
  nodes_.push_back(node);
  run();
  return node;
}

std::shared_ptr<reply_slot<std::vector<protocol::publish_result>>>
actor_fixture::write(const actors::node_handles& node,
                     std::vector<v1::Event> events) {
  return request<std::vector<protocol::publish_result>>(
      node.writer, actors::write_atom::value, std::move(events));
}

std::vector<protocol::publish_result>
actor_fixture::publish(const actors::node_handles& node,
                       std::vector<v1::Event> events) {
  auto slot = write(node, std::move(events));
  run();
  return slot->get();
}

caf::actor actor_fixture::spawn_collector(std::shared_ptr<delivery_log> log) {
  auto collector = sys_->spawn([log](caf::event_based_actor*) -> caf::behavior {
    return {
        [log](actors::deliver_atom, const actors::event_ptrs& events) {
          log->batches.push_back(events);
        },
    };
  });
  run();
  return collector;
}

caf::expected<uint64_t>
actor_fixture::subscribe(const actors::node_handles& node,
                         actors::subscription sub,
                         const caf::actor& subscriber) {
  auto slot = request<uint64_t>(node.registry, actors::subscribe_atom::value,
                                std::move(sub), subscriber);
  run();
  if (!slot->value)
    return caf::make_error(caf::sec::request_timeout);
  return *slot->value;
}

actors::registry_stats
actor_fixture::registry_stats(const actors::node_handles& node) {
  auto slot =
      request<actors::registry_stats>(node.registry, actors::stats_atom::value);
  run();
  return slot->get();
}

// -- live_actor_fixture -------------------------------------------------------

live_actor_fixture::live_actor_fixture() {
  store_ = open_store(dir_.path());
  cfg_.set("scheduler.max-threads", 2);
  sys_ = std::make_unique<caf::actor_system>(cfg_);
}

live_actor_fixture::~live_actor_fixture() {
  for (auto& node : nodes_)
    actors::stop_node(*sys_, node);
  nodes_.clear();
  sys_.reset(); // waits for every actor
  store_.reset();
}

actors::node_handles
live_actor_fixture::spawn_live_node(actors::node_options opts) {
  opts.inline_io = false;
  if (opts.node_id.empty())
    opts.node_id = "n1";
  auto node = actors::spawn_node(*sys_, store_, opts);
  nodes_.push_back(node);
  return node;
}

bool live_actor_fixture::wait_for(const std::function<bool()>& pred,
                                  std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  std::unique_lock<std::mutex> guard{mtx_};
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until)
      return pred();
    // Bounded wait: a missed notify costs at most one poll interval.
    cv_.wait_for(guard, std::chrono::milliseconds(50));
  }
  return true;
}

void live_actor_fixture::notify() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ++wakeups_;
  }
  cv_.notify_all();
}

} // namespace herald::test
