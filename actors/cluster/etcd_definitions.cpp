#include "actors/cluster/etcd_definitions.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/cluster/errc.hpp"
#include "actors/cluster/etcd_client.hpp"
#include "runtime/base64.hpp"
#include "runtime/errc.hpp"

namespace herald::cluster {

namespace {

using json = nlohmann::json;

std::string defs_prefix(const std::string& cluster) {
  return "/herald/" + cluster + "/defs/";
}

std::string seeded_key(const std::string& cluster) {
  return "/herald/" + cluster + "/defs-seeded";
}

caf::error malformed(const std::string& key, const std::string& why) {
  return runtime::make_api_error(
      runtime::errc::invalid_field,
      "malformed definition record " + key + ": " + why, "record");
}

} // namespace

std::string encode_definition_record(const replicated_definition& d) {
  json doc{{"by", d.by}};
  if (d.value)
    doc["value"] = *d.value;
  json evs = json::array();
  for (const auto& ev : d.events)
    evs.push_back(runtime::encode_base64(ev.SerializeAsString()));
  doc["events"] = std::move(evs);
  return doc.dump();
}

caf::expected<replicated_definition>
decode_definition_record(std::string key, const std::string& bytes,
                         uint64_t revision) {
  auto doc = json::parse(bytes, nullptr, false);
  if (!doc.is_object())
    return malformed(key, "not a JSON object");
  replicated_definition d;
  d.revision = revision;
  if (auto i = doc.find("by"); i != doc.end()) {
    if (!i->is_string())
      return malformed(key, "'by' is not a string");
    d.by = i->get<std::string>();
  }
  if (auto i = doc.find("value"); i != doc.end()) {
    if (!i->is_string())
      return malformed(key, "'value' is not a string");
    d.value = i->get<std::string>();
  }
  if (auto i = doc.find("events"); i != doc.end()) {
    if (!i->is_array())
      return malformed(key, "'events' is not an array");
    for (const auto& e : *i) {
      if (!e.is_string())
        return malformed(key, "an event is not a string");
      auto raw = runtime::decode_base64(e.get_ref<const std::string&>());
      v1::Event ev;
      if (!raw || !ev.ParseFromString(*raw))
        return malformed(key, "an event does not parse");
      d.events.push_back(std::move(ev));
    }
  }
  d.key = std::move(key);
  return d;
}

caf::expected<std::string>
shared_cluster_value(const etcd_definitions_options& o, const std::string& name,
                     const std::string& candidate) {
  etcd_client etcd{o.endpoints, o.deadline};
  const auto key = "/herald/" + o.cluster + "/" + name;
  auto r = etcd.txn({{key,
                      etcd_compare::target::create_revision,
                      etcd_compare::result::equal,
                      0,
                      {}}},
                    {etcd_op::put(key, candidate)}, {etcd_op::get(key)});
  if (!r)
    return std::move(r.error());
  if (r->succeeded)
    return candidate;
  if (r->reads.empty())
    return caf::make_error(errc::unavailable,
                           "the cluster's " + name + " vanished while read");
  return std::move(r->reads[0].value);
}

struct etcd_definitions::impl {
  explicit impl(etcd_definitions_options o)
      : opts(std::move(o)), etcd(opts.endpoints, opts.deadline),
        prefix(defs_prefix(opts.cluster)) {}

  etcd_definitions_options opts;
  etcd_client etcd; ///< the caller's thread (propose, snapshot, seed)
  std::string prefix;
  std::mutex mtx;
  std::condition_variable cv;
  bool stopping = false;
  std::thread watcher;

  bool stopped() {
    std::lock_guard guard{mtx};
    return stopping;
  }

  bool pause(std::chrono::milliseconds d) {
    std::unique_lock guard{mtx};
    return cv.wait_for(guard, d, [this] { return stopping; });
  }

  caf::expected<std::pair<std::vector<replicated_definition>, int64_t>>
  read_all(etcd_client& client) {
    auto got = client.get_prefix(prefix);
    if (!got)
      return std::move(got.error());
    std::vector<replicated_definition> out;
    out.reserve(got->first.size());
    for (auto& kv : got->first) {
      auto d = decode_definition_record(kv.key.substr(prefix.size()), kv.value,
                                        static_cast<uint64_t>(kv.mod_revision));
      if (!d) {
        spdlog::error("cluster: {}", runtime::describe(d.error()).message);
        continue;
      }
      out.push_back(std::move(*d));
    }
    return std::make_pair(std::move(out), got->second);
  }

  void watch_loop(
      int64_t from,
      const std::function<void(std::vector<replicated_definition>)>& deliver) {
    etcd_client client{opts.endpoints, opts.deadline};
    int64_t next = from;
    while (!stopped()) {
      auto err = client.watch_prefix(
          prefix, next,
          [&](std::vector<etcd_event> evs, int64_t rev) {
            std::vector<replicated_definition> out;
            for (auto& ev : evs) {
              if (ev.deleted)
                continue; // removed by hand: tombstones are how we delete
              auto d = decode_definition_record(
                  ev.kv.key.substr(prefix.size()), ev.kv.value,
                  static_cast<uint64_t>(ev.kv.mod_revision));
              if (!d) {
                spdlog::error("cluster: {}",
                              runtime::describe(d.error()).message);
                continue;
              }
              out.push_back(std::move(*d));
            }
            next = rev + 1;
            if (!out.empty())
              deliver(std::move(out));
          },
          [this] { return stopped(); }, std::chrono::seconds{30});
      if (!err)
        continue; // stopped, or a quiet watch re-established
      if (err.category() == caf::atom("cluster") &&
          err.code() == static_cast<uint8_t>(errc::conflict)) {
        // The history since `next` was compacted: read everything again.
        auto all = read_all(client);
        if (all) {
          spdlog::warn("cluster: definitions history compacted; re-read "
                       "{} records at revision {}",
                       all->first.size(), all->second);
          next = all->second + 1;
          if (!all->first.empty())
            deliver(std::move(all->first));
          continue;
        }
      }
      if (pause(opts.retry_every))
        return;
    }
  }
};

etcd_definitions::etcd_definitions(etcd_definitions_options opts)
    : impl_(std::make_unique<impl>(std::move(opts))) {}

etcd_definitions::~etcd_definitions() {
  stop();
}

void etcd_definitions::stop() {
  {
    std::lock_guard guard{impl_->mtx};
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->watcher.joinable())
    impl_->watcher.join();
}

caf::expected<proposal> etcd_definitions::propose(
    const std::string& key, const std::optional<std::string>& value,
    std::optional<uint64_t> expect, std::vector<v1::Event> events) {
  if (key.empty())
    return runtime::make_api_error(runtime::errc::invalid_field,
                                   "definition key is empty", "key");
  const auto etcd_key = impl_->prefix + key;
  auto got = impl_->etcd.get(etcd_key);
  if (!got)
    return std::move(got.error());
  int64_t read_rev = 0; // the record's mod_revision (0: none)
  uint64_t current = 0; // the live version (0: absent or deleted)
  if (*got) {
    read_rev = (*got)->mod_revision;
    auto d = decode_definition_record(key, (*got)->value,
                                      static_cast<uint64_t>(read_rev));
    if (d && d->value)
      current = static_cast<uint64_t>(read_rev);
  }
  if (expect && *expect != current)
    return runtime::make_api_error(
        runtime::errc::conflict,
        current == 0 ? key + " does not exist"
                     : key + " is at version " + std::to_string(current) +
                           ", not " + std::to_string(*expect),
        "If-Match");
  if (!value && current == 0)
    return runtime::make_api_error(runtime::errc::not_found,
                                   "no such key: " + key, "key");
  proposal out;
  out.record.key = key;
  out.record.value = value;
  out.record.by = impl_->opts.self;
  out.record.events = std::move(events);
  auto r = impl_->etcd.txn(
      {{etcd_key,
        etcd_compare::target::mod_revision,
        etcd_compare::result::equal,
        read_rev,
        {}}},
      {etcd_op::put(etcd_key, encode_definition_record(out.record))});
  if (!r)
    return std::move(r.error());
  if (!r->succeeded)
    return runtime::make_api_error(runtime::errc::conflict,
                                   key + " changed meanwhile", "If-Match");
  out.revision = static_cast<uint64_t>(r->revision);
  out.record.revision = out.revision;
  out.version = value ? out.revision : current;
  return out;
}

caf::expected<std::pair<std::vector<replicated_definition>, int64_t>>
etcd_definitions::snapshot() {
  return impl_->read_all(impl_->etcd);
}

caf::expected<bool>
etcd_definitions::seed(const std::vector<replicated_definition>& records) {
  const auto marker = seeded_key(impl_->opts.cluster);
  auto claim = impl_->etcd.txn({{marker,
                                 etcd_compare::target::create_revision,
                                 etcd_compare::result::equal,
                                 0,
                                 {}}},
                               {etcd_op::put(marker, impl_->opts.self)});
  if (!claim)
    return std::move(claim.error());
  if (!claim->succeeded)
    return false;
  for (const auto& r : records) {
    replicated_definition copy{r.key, r.value, 0, impl_->opts.self, {}};
    // Only where nothing is yet: a node that joined meanwhile may have
    // written the key already.
    auto put = impl_->etcd.txn(
        {{impl_->prefix + r.key,
          etcd_compare::target::create_revision,
          etcd_compare::result::equal,
          0,
          {}}},
        {etcd_op::put(impl_->prefix + r.key, encode_definition_record(copy))});
    if (!put)
      return std::move(put.error());
  }
  return true;
}

void etcd_definitions::watch(
    int64_t from_revision,
    std::function<void(std::vector<replicated_definition>)> on_changes) {
  impl_->watcher =
      std::thread{[this, from_revision, deliver = std::move(on_changes)] {
        impl_->watch_loop(from_revision, deliver);
      }};
}

} // namespace herald::cluster
