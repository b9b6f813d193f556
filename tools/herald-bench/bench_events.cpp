#include "tools/herald-bench/bench_events.hpp"

#include <array>
#include <cstdio>

#include "runtime/time_format.hpp"
#include "runtime/uuid.hpp"

namespace herald::bench {

namespace {

constexpr std::array<const char*, 20> sources{
    "iam",     "billing",  "inventory", "orders",   "shipping",
    "catalog", "payments", "search",    "checkout", "pricing",
    "reviews", "notify",   "audit",     "reports",  "ledger",
    "support", "identity", "media",     "gateway",  "scheduler"};
constexpr std::array<const char*, 4> entities{"user", "item", "order",
                                              "session"};
constexpr std::array<const char*, 3> verbs{"created", "updated", "deleted"};
constexpr std::array<const char*, 8> areas{"inventory", "sales",    "finance",
                                           "hr",        "ops",      "platform",
                                           "support",   "marketing"};
constexpr std::array<const char*, 3> envs{"prod", "test", "dev"};

uint64_t mix(uint64_t x) noexcept { // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string name_of(uint64_t h) {
  auto src = sources[h % sources.size()];
  return std::string{src} + "." + entities[(h >> 8) % entities.size()] + "." +
         verbs[(h >> 16) % verbs.size()];
}

std::string scope_of(uint64_t h, int depth) {
  std::string s = areas[h % areas.size()];
  if (depth >= 2)
    s += std::string{"/"} + envs[(h >> 8) % envs.size()];
  if (depth >= 3)
    s += "/app" + std::to_string((h >> 16) % 20);
  if (depth >= 4)
    s += "/1." + std::to_string((h >> 24) % 5);
  return s;
}

std::string numbered(char prefix, uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%0*llu", prefix, width,
                static_cast<unsigned long long>(v));
  return buf;
}

} // namespace

event_shape shape_of(uint64_t n) {
  auto h = mix(n);
  event_shape s;
  s.name = name_of(h);
  s.source = sources[h % sources.size()];
  s.tenant = numbered('t', (h >> 32) % 200, 4);
  s.user = numbered('u', (h >> 40) % 5000, 5);
  s.scope = scope_of(mix(h), 4);
  return s;
}

std::string data_json(uint64_t n, int64_t t, size_t bytes) {
  auto h = mix(n ^ 0x5bd1e995ULL);
  std::string out =
      "{\"k\":" + std::to_string(n) + ",\"t\":" + std::to_string(t) +
      ",\"amount\":" + std::to_string(h % 100000) + ",\"note\":\"";
  static constexpr char alphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -";
  size_t want = bytes > out.size() + 2 ? bytes - out.size() - 2 : 0;
  for (size_t i = 0; i < want; ++i) {
    if (i % 10 == 0)
      h = mix(h);
    out.push_back(alphabet[(h >> ((i % 10) * 6)) & 63]);
  }
  out += "\"}";
  return out;
}

v1::Event make_event(uint64_t n, int64_t t, size_t data_bytes) {
  auto s = shape_of(n);
  v1::Event ev;
  auto now = runtime::now_unix_ns();
  ev.set_id(runtime::new_uuid_v7(now));
  ev.set_name(std::move(s.name));
  ev.set_source(std::move(s.source));
  ev.set_kind(v1::KIND_USER);
  ev.set_time_ns(now);
  ev.set_tenant(std::move(s.tenant));
  ev.set_user(std::move(s.user));
  ev.set_scope(std::move(s.scope));
  ev.set_data_json(data_json(n, t, data_bytes));
  return ev;
}

std::string make_event_json(uint64_t n, int64_t t, size_t data_bytes) {
  auto s = shape_of(n);
  return "{\"name\":\"" + s.name + "\",\"source\":\"" + s.source +
         "\",\"tenant\":\"" + s.tenant + "\",\"user\":\"" + s.user +
         "\",\"scope\":\"" + s.scope +
         "\",\"data\":" + data_json(n, t, data_bytes) + "}";
}

std::string make_batch_json(uint64_t first, size_t count, int64_t t,
                            size_t data_bytes) {
  std::string out = "[";
  for (size_t i = 0; i < count; ++i) {
    if (i)
      out.push_back(',');
    out += make_event_json(first + i, t, data_bytes);
  }
  out.push_back(']');
  return out;
}

std::string pick_scope(uint64_t n, int depth) {
  return scope_of(mix(mix(n * 7919 + 13)), depth);
}

std::string pick_name(uint64_t n) {
  return name_of(mix(n * 104729 + 7));
}

std::string pick_tenant(uint64_t n) {
  return numbered('t', n % 200, 4);
}

} // namespace herald::bench
