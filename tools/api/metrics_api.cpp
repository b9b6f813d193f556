#include "tools/api/metrics_api.hpp"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

namespace herald::api {

namespace bhttp = boost::beast::http;
using runtime::metric_type;

namespace {

/// The `code` of a DESIGN §7 error body, if it is one with a plausible code
/// (lower-case letters and `_`, so a label value stays one of ours).
std::optional<std::string> error_code_of(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object())
    return std::nullopt;
  const auto& code = j["error"]["code"];
  if (!code.is_string())
    return std::nullopt;
  auto text = code.get<std::string>();
  if (text.empty() || text.size() > 64)
    return std::nullopt;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || c == '_'))
      return std::nullopt;
  return text;
}

/// `text` as an unsigned integer; 0 when it is not one.
uint64_t to_u64(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc{} && end == text.data() + text.size() ? v : 0;
}

/// VmRSS in bytes from /proc/self/statm (second field, in pages).
std::optional<double> resident_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident))
    return std::nullopt;
  return static_cast<double>(resident) *
         static_cast<double>(::sysconf(_SC_PAGESIZE));
}

/// Process start as Unix seconds: /proc/self/stat's starttime (clock ticks
/// after boot) plus /proc/stat's btime; the first call's clock otherwise.
double start_time_seconds() {
  static const double value = [] {
    auto now = std::chrono::duration<double>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    std::ifstream stat("/proc/self/stat");
    std::string line;
    if (!std::getline(stat, line))
      return now;
    // Fields after the command name (which may hold spaces and parens).
    auto close = line.rfind(')');
    if (close == std::string::npos)
      return now;
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    uint64_t start_ticks = 0;
    // Field 3 (state) is the first after ')'; starttime is field 22.
    for (int i = 3; i <= 22 && fields >> field; ++i)
      if (i == 22)
        start_ticks = to_u64(field);
    std::ifstream sys_stat("/proc/stat");
    uint64_t btime = 0;
    while (std::getline(sys_stat, line))
      if (line.starts_with("btime "))
        btime = to_u64(std::string_view{line}.substr(6));
    auto ticks = ::sysconf(_SC_CLK_TCK);
    if (start_ticks == 0 || btime == 0 || ticks <= 0)
      return now;
    return static_cast<double>(btime) +
           static_cast<double>(start_ticks) / static_cast<double>(ticks);
  }();
  return value;
}

int64_t as_gauge(uint64_t v) {
  return static_cast<int64_t>(v);
}

void write_writer(runtime::metrics_text_writer& w,
                  const actors::writer_metrics& m) {
  auto load = [](const std::atomic<uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  auto stored = load(m.events_stored);
  auto duplicates = load(m.duplicates);
  w.counter("herald_events_accepted_total",
            "Events acknowledged to publishers (newly stored plus "
            "duplicates), including Herald's own sys events.",
            stored + duplicates);
  w.counter("herald_events_duplicate_total",
            "Accepted events whose id was already stored (answered with "
            "duplicate:true, not stored again).",
            duplicates);
  w.counter("herald_write_failures_total",
            "Group commits (store appends) that failed; their publishes got "
            "an error.",
            load(m.failed_appends));
  w.histogram("herald_write_batch_events",
              "Events per group commit (one RocksDB WriteBatch, one fsync).",
              m.batch_events.snapshot());
  w.histogram("herald_write_seconds",
              "Duration of one group commit: the WriteBatch and its fsync.",
              m.append_seconds.snapshot());
  w.gauge("herald_writer_queued_events",
          "Events waiting for the next group commit.",
          as_gauge(load(m.queued_events)));
}

void write_streams(runtime::metrics_text_writer& w,
                   const actors::stream_stats& s) {
  auto t = s.snapshot();
  w.gauge("herald_streams_open", "Open event streams (WebSocket).",
          as_gauge(t.open));
  w.gauge("herald_stream_buffer_events",
          "Frames held in the send buffers of all open streams.",
          as_gauge(t.buffered));
  w.gauge("herald_stream_buffer_max_events",
          "Frames held in the fullest send buffer of an open stream.",
          as_gauge(t.max_buffered));
  w.counter("herald_stream_slow_consumer_cuts_total",
            "Streams closed with 1008 slow_consumer because their buffer was "
            "full.",
            t.slow_consumer_cuts);
}

} // namespace

void api_metrics::count_publish_reply(const http::http_response& res) {
  if (res.result_int() < 400)
    return;
  auto code = error_code_of(res.body()).value_or("unknown");
  std::lock_guard guard{mtx_};
  ++rejected_[code];
}

std::map<std::string, uint64_t, std::less<>> api_metrics::rejected() const {
  std::lock_guard guard{mtx_};
  return rejected_;
}

std::string render_metrics(const metrics_sources& src) {
  runtime::metrics_text_writer w;
  if (src.writer)
    write_writer(w, *src.writer);
  if (src.api) {
    w.family("herald_events_rejected_total", metric_type::counter,
             "Publish requests refused, by the error code of the reply "
             "(a rejected batch counts once).");
    for (const auto& [code, n] : src.api->rejected())
      w.sample("herald_events_rejected_total", n, {{"reason", code}});
    w.family("herald_http_auth_refused_total", metric_type::counter,
             "Requests answered 401 (no or bad credential, failed "
             "logins included) or 403 (the role is missing).");
    w.sample("herald_http_auth_refused_total", src.api->unauthorized(),
             {{"code", "unauthorized"}});
    w.sample("herald_http_auth_refused_total", src.api->forbidden(),
             {{"code", "forbidden"}});
    w.histogram("herald_query_duration_seconds",
                "Duration of GET /api/v1/events from a valid request to "
                "its reply.",
                src.api->query_seconds.snapshot());
  }
  if (src.streams)
    write_streams(w, *src.streams);
  if (src.store) {
    const auto fig = src.store();
    w.gauge("herald_store_size_bytes",
            "Approximate size of the audit trail on disk (SST files plus "
            "memtables).",
            as_gauge(fig.size_bytes));
    w.gauge("herald_last_seq", "Highest seq stored.", as_gauge(fig.last_seq));
    const auto& mem = fig;
    w.gauge("herald_store_table_readers_bytes",
            "Memory open SST files hold outside the block cache "
            "(rocksdb.estimate-table-readers-mem).",
            as_gauge(mem.table_readers_bytes));
    w.gauge("herald_store_block_cache_bytes",
            "Block cache usage: data, index and filter blocks.",
            as_gauge(mem.block_cache_bytes));
    w.gauge("herald_store_memtable_bytes", "Active and immutable memtables.",
            as_gauge(mem.memtable_bytes));
  }
  if (auto rss = resident_bytes())
    w.gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            *rss);
  w.gauge("process_start_time_seconds",
          "Start time of the process since the Unix epoch in seconds.",
          start_time_seconds());
  // Families of other parts of the node (retention, ...) go last.
  for (const auto& add : src.extra)
    if (add)
      add(w);
  return w.take();
}

http::http_response metrics_response(const metrics_sources& src,
                                     unsigned version, bool keep_alive) {
  http::http_response res{bhttp::status::ok, version};
  res.set(bhttp::field::server, "herald");
  res.set(bhttp::field::content_type,
          std::string{runtime::metrics_text_writer::content_type});
  res.keep_alive(keep_alive);
  res.body() = render_metrics(src);
  res.prepare_payload();
  return res;
}

void metrics_api::add_routes(routes& table) {
  table.add(
      {{bhttp::verb::get, bhttp::verb::head},
       "/metrics",
       std::string{role_reader},
       [this](http::request_context& ctx, const caller*, http::reply_fn reply) {
         reply(metrics_response(sources_, ctx.version(), ctx.keep_alive()));
       },
       "/metrics needs the reader role"});
  table.add(
      {{bhttp::verb::get},
       "/api/v1/actors",
       std::string{role_admin},
       [this](http::request_context& ctx, const caller*, http::reply_fn reply) {
         if (!sources_.actors)
           return reply(http::error_response(runtime::errc::unavailable,
                                             "the node is starting", "",
                                             ctx.version(), ctx.keep_alive()));
         reply(http::json_response(200,
                                   R"({"actors":)" + sources_.actors() + "}",
                                   ctx.version(), ctx.keep_alive()));
       },
       "/api/v1/actors needs the admin role"});
}

} // namespace herald::api
