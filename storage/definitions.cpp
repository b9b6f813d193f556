// Definitions (config values, users, tokens, source settings) and the source
// table: small versioned documents in the meta CF, written atomically with
// the events that announce them (event_append.cpp calls in here).

#include "storage/definitions.hpp"

#include <algorithm>
#include <limits>
#include <mutex>

#include <nlohmann/json.hpp>
#include <rocksdb/db.h>

#include "runtime/errc.hpp"
#include "storage/errc.hpp"
#include "storage/event_index.hpp"

namespace herald::storage {

namespace {

using api = runtime::errc;

std::string def_key(std::string_view key) {
  return std::string{meta_definition_prefix}.append(key);
}

caf::error closed_error() {
  return caf::make_error(storage::errc::closed,
                         std::string{"event store is closed"});
}

/// `{"enabled":bool}` and nothing else.
std::optional<bool> parse_source_setting(const std::string& value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (!j.is_object() || j.size() != 1 || !j.contains("enabled") ||
      !j["enabled"].is_boolean())
    return std::nullopt;
  return j["enabled"].get<bool>();
}

caf::expected<std::optional<definition>>
decode_definition(std::string_view key, const std::string& raw) {
  if (raw.size() < 8)
    return caf::make_error(storage::errc::corruption,
                           "malformed definition " + std::string{key});
  return std::optional<definition>{
      definition{std::string{key}, raw.substr(8), get_be64(raw.data())}};
}

} // namespace

caf::error check_sources_locked(const event_store::impl& s,
                                const v1::Event* evs, size_t n,
                                const source_overlay* overlay) {
  const bool decided = overlay != nullptr && !overlay->empty();
  std::shared_lock guard{s.sources_mtx};
  if (s.disabled_sources == 0 && !decided)
    return caf::error{};
  for (size_t i = 0; i < n; ++i) {
    const auto& source = evs[i].source();
    std::optional<bool> enabled;
    if (decided)
      if (auto o = overlay->find(source); o != overlay->end())
        enabled = o->second;
    if (!enabled) {
      auto it = s.sources.find(source);
      enabled = it == s.sources.end() || it->second.enabled;
    }
    if (!*enabled)
      return runtime::make_api_error(
          api::source_disabled, "source " + evs[i].source() + " is disabled",
          n == 1 ? std::string{"/source"}
                 : "/" + std::to_string(i) + "/source");
  }
  return caf::error{};
}

caf::expected<uint64_t> stored_definition_version(const event_store::impl& s,
                                                  const std::string& key) {
  std::string raw;
  auto st = s.db->Get(rocksdb::ReadOptions{}, s[cf_meta], def_key(key), &raw);
  if (st.IsNotFound())
    return uint64_t{0};
  if (auto err = to_error(st, "read definition"))
    return err;
  if (raw.size() < 8)
    return caf::make_error(storage::errc::corruption,
                           "malformed definition " + key);
  return get_be64(raw.data());
}

caf::error check_definition(uint64_t current, pending_definition& def) {
  const auto& w = *def.change;
  if (w.key.empty())
    return runtime::make_api_error(api::invalid_field,
                                   "definition key is empty", "key");
  if (w.replica_version) {
    // Replicated: ordered by the cluster's revisions, never refused.
    if (current >= *w.replica_version || (!w.value && current == 0)) {
      def.skip = true;
      def.version = current;
      return caf::error{};
    }
    if (w.value && w.key.starts_with(source_definition_prefix)) {
      def.source_enabled = parse_source_setting(*w.value);
      if (!def.source_enabled)
        def.source_enabled = true; // accepted by a peer: keep events flowing
    }
    def.version = *w.replica_version;
    return caf::error{};
  }
  if (w.expect_version && *w.expect_version != current)
    return runtime::make_api_error(
        api::conflict,
        current == 0 ? w.key + " does not exist"
                     : w.key + " is at version " + std::to_string(current) +
                           ", not " + std::to_string(*w.expect_version),
        "If-Match");
  if (!w.value) {
    if (current == 0)
      return runtime::make_api_error(api::not_found, "no such key: " + w.key,
                                     "key");
    def.version = current;
    return caf::error{};
  }
  if (w.key.starts_with(source_definition_prefix)) {
    def.source_enabled = parse_source_setting(*w.value);
    if (!def.source_enabled)
      return runtime::make_api_error(
          api::invalid_field, "a source setting is {\"enabled\":true|false}",
          "/enabled");
  }
  def.version = current + 1;
  return caf::error{};
}

caf::error put_definition(const event_store::impl& s,
                          rocksdb::WriteBatch& batch,
                          const pending_definition& def) {
  const auto& w = *def.change;
  if (def.skip)
    return caf::error{};
  if (!w.value)
    return to_error(batch.Delete(s[cf_meta], def_key(w.key)),
                    "build write batch");
  std::string value;
  value.reserve(8 + w.value->size());
  put_be64(value, def.version);
  value += *w.value;
  return to_error(batch.Put(s[cf_meta], def_key(w.key), value),
                  "build write batch");
}

bool may_group_commit(const definition_write& w) {
  return (w.replica_version || !w.expect_version) &&
         !w.key.starts_with(source_definition_prefix);
}

void apply_definition(event_store::impl& s, const pending_definition& def) {
  const auto& key = def.change->key;
  if (def.skip || !key.starts_with(source_definition_prefix))
    return;
  auto id = key.substr(source_definition_prefix.size());
  std::unique_lock guard{s.sources_mtx};
  auto& st = s.sources[id];
  st.defined = def.change->value.has_value();
  const bool enabled = def.source_enabled.value_or(true);
  if (st.enabled != enabled) {
    st.enabled = enabled;
    if (enabled)
      --s.disabled_sources;
    else
      ++s.disabled_sources;
  }
}

caf::error load_sources(event_store::impl& s) {
  std::unique_ptr<rocksdb::Iterator> it{
      s.db->NewIterator(rocksdb::ReadOptions{}, s[cf_meta])};
  std::unique_lock guard{s.sources_mtx};
  for (it->Seek(meta_source_prefix);
       it->Valid() && it->key().starts_with(meta_source_prefix); it->Next()) {
    auto v = it->value();
    if (v.size() != 24)
      return caf::make_error(storage::errc::corruption,
                             std::string{"malformed source counters"});
    auto& st = s.sources[std::string{
        it->key().ToStringView().substr(meta_source_prefix.size())}];
    st.events = get_be64(v.data());
    st.last_seq = get_be64(v.data() + 8);
    st.last_accept_ns = static_cast<int64_t>(get_be64(v.data() + 16));
  }
  if (auto err = to_error(it->status(), "load sources"))
    return err;
  const auto prefix = def_key(source_definition_prefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    auto v = it->value();
    if (v.size() < 8)
      return caf::make_error(storage::errc::corruption,
                             std::string{"malformed source definition"});
    auto enabled =
        parse_source_setting(std::string{v.data() + 8, v.size() - 8});
    auto& st =
        s.sources[std::string{it->key().ToStringView().substr(prefix.size())}];
    st.defined = true;
    st.enabled = enabled.value_or(true);
    s.disabled_sources += st.enabled ? 0 : 1;
  }
  return to_error(it->status(), "load source definitions");
}

caf::expected<std::optional<definition>>
event_store::get_definition(const std::string& key) const {
  std::shared_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  std::string raw;
  auto st = impl_->db->Get(rocksdb::ReadOptions{}, impl_->cf[cf_meta],
                           def_key(key), &raw);
  if (st.IsNotFound())
    return std::optional<definition>{};
  if (auto err = to_error(st, "get definition"))
    return err;
  return decode_definition(key, raw);
}

caf::expected<std::vector<definition>>
event_store::list_definitions(const std::string& prefix) const {
  return list_definitions(prefix, {}, std::numeric_limits<size_t>::max());
}

caf::expected<std::vector<definition>>
event_store::list_definitions(const std::string& prefix,
                              const std::string& after, size_t limit) const {
  std::shared_lock lock{impl_->life_mtx};
  if (impl_->closed)
    return closed_error();
  std::vector<definition> out;
  const auto full = def_key(prefix);
  std::unique_ptr<rocksdb::Iterator> it{
      impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->cf[cf_meta])};
  if (after.empty()) {
    it->Seek(full);
  } else {
    const auto from = def_key(after);
    it->Seek(std::max(from, full));
    if (it->Valid() && it->key() == rocksdb::Slice{from})
      it->Next();
  }
  for (; out.size() < limit && it->Valid() && it->key().starts_with(full);
       it->Next()) {
    auto key = it->key().ToStringView().substr(meta_definition_prefix.size());
    auto d = decode_definition(key, it->value().ToString());
    if (!d)
      return std::move(d.error());
    out.push_back(std::move(**d));
  }
  if (auto err = to_error(it->status(), "list definitions"))
    return err;
  return out;
}

caf::error
event_store::check_sources(const std::vector<v1::Event>& events) const {
  return check_sources_locked(*impl_, events);
}

std::vector<source_info> event_store::sources() const {
  std::shared_lock guard{impl_->sources_mtx};
  std::vector<source_info> out;
  out.reserve(impl_->sources.size());
  for (const auto& [id, st] : impl_->sources)
    if (st.defined || st.events > 0)
      out.push_back(source_info{id, st.enabled, st.events, st.last_seq,
                                st.last_accept_ns});
  return out;
}

} // namespace herald::storage
