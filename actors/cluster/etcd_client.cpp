#include "actors/cluster/etcd_client.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "actors/cluster/errc.hpp"
#include "runtime/base64.hpp"
#include "runtime/errc.hpp"

namespace herald::cluster {

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

struct endpoint {
  std::string host;
  std::string port;
};

endpoint parse_endpoint(const std::string& url) {
  auto rest = url;
  if (rest.starts_with("http://"))
    rest = rest.substr(7);
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  auto colon = rest.rfind(':');
  if (rest.empty() || colon == std::string::npos || colon + 1 == rest.size())
    throw std::invalid_argument{"etcd endpoint is not http://host:port: " +
                                url};
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

caf::error unavailable(std::string what) {
  return caf::make_error(errc::unavailable, std::move(what));
}

caf::error malformed(const std::string& what) {
  return runtime::make_api_error(runtime::errc::invalid_field,
                                 "etcd answered " + what, "etcd");
}

/// An int64 field as the gateway writes it: a string, a number, or absent
/// (zero).
int64_t num(const json& j, const char* key) {
  auto i = j.find(key);
  if (i == j.end())
    return 0;
  if (i->is_string())
    return std::stoll(i->get<std::string>());
  if (i->is_number_integer())
    return i->get<int64_t>();
  return 0;
}

std::string b64(const std::string& bytes) {
  return runtime::encode_base64(bytes);
}

std::string unb64(const json& j, const char* key) {
  auto i = j.find(key);
  if (i == j.end() || !i->is_string())
    return {};
  auto out = runtime::decode_base64(i->get<std::string>());
  if (!out)
    throw std::invalid_argument{std::string{"bad base64 in "} + key};
  return *out;
}

etcd_kv parse_kv(const json& j) {
  etcd_kv kv;
  kv.key = unb64(j, "key");
  kv.value = unb64(j, "value");
  kv.create_revision = num(j, "create_revision");
  kv.mod_revision = num(j, "mod_revision");
  kv.version = num(j, "version");
  kv.lease = num(j, "lease");
  return kv;
}

json op_json(const etcd_op& op) {
  switch (op.what) {
  case etcd_op::kind::put: {
    json p{{"key", b64(op.key)}, {"value", b64(op.value)}};
    if (op.lease != 0)
      p["lease"] = std::to_string(op.lease);
    return {{"request_put", p}};
  }
  case etcd_op::kind::del:
    return {{"request_delete_range", {{"key", b64(op.key)}}}};
  case etcd_op::kind::get:
    return {{"request_range", {{"key", b64(op.key)}}}};
  }
  return json::object();
}

json compare_json(const etcd_compare& c) {
  static const char* targets[] = {"CREATE", "MOD", "VERSION", "VALUE"};
  static const char* results[] = {"EQUAL", "NOT_EQUAL", "GREATER", "LESS"};
  json out{{"key", b64(c.key)},
           {"target", targets[static_cast<int>(c.what)]},
           {"result", results[static_cast<int>(c.op)]}};
  switch (c.what) {
  case etcd_compare::target::create_revision:
    out["create_revision"] = std::to_string(c.number);
    break;
  case etcd_compare::target::mod_revision:
    out["mod_revision"] = std::to_string(c.number);
    break;
  case etcd_compare::target::version:
    out["version"] = std::to_string(c.number);
    break;
  case etcd_compare::target::value:
    out["value"] = b64(c.value);
    break;
  }
  return out;
}

} // namespace

etcd_op etcd_op::put(std::string key, std::string value, int64_t lease) {
  return {kind::put, std::move(key), std::move(value), lease};
}

etcd_op etcd_op::del(std::string key) {
  return {kind::del, std::move(key), {}, 0};
}

etcd_op etcd_op::get(std::string key) {
  return {kind::get, std::move(key), {}, 0};
}

std::string etcd_prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto& c = end.back();
    if (static_cast<unsigned char>(c) < 0xff) {
      c = static_cast<char>(static_cast<unsigned char>(c) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0'); // every key
}

struct etcd_client::impl {
  std::vector<endpoint> endpoints;
  std::chrono::milliseconds deadline;
  size_t preferred = 0; ///< the endpoint that answered last

  /// POSTs `body` to `path` on the first endpoint that answers within the
  /// deadline; the answer's JSON.
  caf::expected<json> call(const std::string& path, const json& body) {
    const auto until = clock_type::now() + deadline;
    std::string last_error = "no endpoint";
    const auto text = body.dump();
    for (size_t i = 0; i < endpoints.size(); ++i) {
      const auto& ep = endpoints[(preferred + i) % endpoints.size()];
      // Each endpoint still to try gets an equal share of what is left, so
      // a silent one does not spend the whole deadline.
      const auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(
              until - clock_type::now());
      if (remaining.count() <= 0)
        break;
      const auto left = remaining / static_cast<int64_t>(endpoints.size() - i);
      std::string why;
      auto res = post(ep, path, text, left, why);
      if (!res) {
        last_error = ep.host + ":" + ep.port + ": " + why;
        continue;
      }
      preferred = (preferred + i) % endpoints.size();
      auto& [status, answer] = *res;
      auto doc = json::parse(answer, nullptr, false);
      if (status != 200) {
        std::string message = doc.is_object() && doc.contains("message") &&
                                      doc["message"].is_string()
                                  ? doc["message"].get<std::string>()
                                  : answer.substr(0, 200);
        return unavailable("etcd " + path + ": HTTP " + std::to_string(status) +
                           " " + message);
      }
      if (!doc.is_object())
        return malformed("not JSON on " + path);
      return doc;
    }
    return unavailable("etcd " + path + ": " + last_error);
  }

  /// One request on a fresh connection, bounded by `left`; nullopt (and
  /// `why`) when no answer came.
  std::optional<std::pair<int, std::string>>
  post(const endpoint& ep, const std::string& path, const std::string& body,
       std::chrono::milliseconds left, std::string& why) {
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    http::request<http::string_body> req{http::verb::post, path, 11};
    req.set(http::field::host, ep.host + ":" + ep.port);
    req.set(http::field::content_type, "application/json");
    // etcd gives up too: a write without quorum does not hang.
    req.set("Grpc-Timeout",
            std::to_string(std::max<int64_t>(1, left.count())) + "m");
    req.body() = body;
    req.prepare_payload();
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    beast::error_code result = net::error::would_block;
    net::ip::tcp::resolver resolver{ioc};
    stream.expires_after(left);
    resolver.async_resolve(
        ep.host, ep.port,
        [&](beast::error_code ec, net::ip::tcp::resolver::results_type rs) {
          if (ec)
            return void(result = ec);
          stream.async_connect(rs, [&](beast::error_code ec2, auto) {
            if (ec2)
              return void(result = ec2);
            http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
              if (ec3)
                return void(result = ec3);
              http::async_read(
                  stream, buffer, res,
                  [&](beast::error_code ec4, size_t) { result = ec4; });
            });
          });
        });
    ioc.run_for(left + std::chrono::milliseconds(50));
    if (result == net::error::would_block) {
      why = "timed out";
      return std::nullopt;
    }
    if (result) {
      why = result.message();
      return std::nullopt;
    }
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    return std::make_pair(static_cast<int>(res.result_int()),
                          std::move(res.body()));
  }
};

etcd_client::etcd_client(std::vector<std::string> endpoints,
                         std::chrono::milliseconds deadline)
    : impl_(std::make_unique<impl>()) {
  if (endpoints.empty())
    throw std::invalid_argument{"etcd_client: no endpoint"};
  for (const auto& e : endpoints)
    impl_->endpoints.push_back(parse_endpoint(e));
  impl_->deadline = deadline;
}

etcd_client::~etcd_client() = default;

caf::expected<int64_t> etcd_client::put(const std::string& key,
                                        const std::string& value,
                                        int64_t lease) {
  json body{{"key", b64(key)}, {"value", b64(value)}};
  if (lease != 0)
    body["lease"] = std::to_string(lease);
  auto doc = impl_->call("/v3/kv/put", body);
  if (!doc)
    return std::move(doc.error());
  return num((*doc)["header"], "revision");
}

caf::expected<std::optional<etcd_kv>> etcd_client::get(const std::string& key) {
  auto doc = impl_->call("/v3/kv/range", json{{"key", b64(key)}});
  if (!doc)
    return std::move(doc.error());
  try {
    auto kvs = doc->find("kvs");
    if (kvs == doc->end() || !kvs->is_array() || kvs->empty())
      return std::optional<etcd_kv>{};
    return std::optional<etcd_kv>{parse_kv(kvs->front())};
  } catch (const std::exception& e) {
    return malformed(e.what());
  }
}

caf::expected<std::pair<std::vector<etcd_kv>, int64_t>>
etcd_client::get_prefix(const std::string& prefix) {
  auto doc = impl_->call(
      "/v3/kv/range",
      json{{"key", b64(prefix)}, {"range_end", b64(etcd_prefix_end(prefix))}});
  if (!doc)
    return std::move(doc.error());
  try {
    std::vector<etcd_kv> out;
    if (auto kvs = doc->find("kvs"); kvs != doc->end() && kvs->is_array())
      for (const auto& kv : *kvs)
        out.push_back(parse_kv(kv));
    return std::make_pair(std::move(out), num((*doc)["header"], "revision"));
  } catch (const std::exception& e) {
    return malformed(e.what());
  }
}

caf::expected<int64_t> etcd_client::del(const std::string& key) {
  auto doc = impl_->call("/v3/kv/deleterange", json{{"key", b64(key)}});
  if (!doc)
    return std::move(doc.error());
  return num(*doc, "deleted");
}

caf::expected<etcd_txn_result>
etcd_client::txn(const std::vector<etcd_compare>& compares,
                 const std::vector<etcd_op>& success,
                 const std::vector<etcd_op>& failure) {
  json body{{"compare", json::array()},
            {"success", json::array()},
            {"failure", json::array()}};
  for (const auto& c : compares)
    body["compare"].push_back(compare_json(c));
  for (const auto& op : success)
    body["success"].push_back(op_json(op));
  for (const auto& op : failure)
    body["failure"].push_back(op_json(op));
  auto doc = impl_->call("/v3/kv/txn", body);
  if (!doc)
    return std::move(doc.error());
  try {
    etcd_txn_result out;
    // A failed transaction has no "succeeded" (defaults are omitted).
    out.succeeded = doc->value("succeeded", false);
    out.revision = num((*doc)["header"], "revision");
    if (auto rs = doc->find("responses"); rs != doc->end() && rs->is_array())
      for (const auto& r : *rs)
        if (auto range = r.find("response_range"); range != r.end())
          if (auto kvs = range->find("kvs");
              kvs != range->end() && kvs->is_array())
            for (const auto& kv : *kvs)
              out.reads.push_back(parse_kv(kv));
    return out;
  } catch (const std::exception& e) {
    return malformed(e.what());
  }
}

caf::error etcd_client::watch_prefix(
    const std::string& prefix, int64_t start_revision,
    const std::function<void(std::vector<etcd_event>, int64_t)>& on_events,
    const std::function<bool()>& stop, std::chrono::milliseconds idle_timeout) {
  json create{{"key", b64(prefix)},
              {"range_end", b64(etcd_prefix_end(prefix))}};
  if (start_revision > 0)
    create["start_revision"] = std::to_string(start_revision);
  const auto body = json{{"create_request", create}}.dump();
  const auto& ep = impl_->endpoints[impl_->preferred % impl_->endpoints.size()];
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  http::request<http::string_body> req{http::verb::post, "/v3/watch", 11};
  req.set(http::field::host, ep.host + ":" + ep.port);
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  beast::error_code failed;
  bool header_done = false;
  size_t consumed = 0; ///< of the body: complete lines handled
  auto last_data = clock_type::now();
  caf::error outcome;
  bool finished = false;

  // Handles the complete lines of the body so far; false to end.
  auto drain = [&]() -> bool {
    auto& text = parser.get().body();
    for (;;) {
      auto nl = text.find('\n', consumed);
      if (nl == std::string::npos)
        break;
      auto line = text.substr(consumed, nl - consumed);
      consumed = nl + 1;
      auto doc = json::parse(line, nullptr, false);
      if (!doc.is_object())
        continue;
      auto result = doc.find("result");
      if (result == doc.end()) {
        outcome = unavailable("etcd watch: " + line.substr(0, 200));
        return false;
      }
      if (num(*result, "compact_revision") != 0) {
        outcome = caf::make_error(errc::conflict,
                                  "etcd watch: the start revision was "
                                  "compacted");
        return false;
      }
      if (result->value("canceled", false)) {
        outcome = unavailable("etcd watch canceled");
        return false;
      }
      auto evs = result->find("events");
      if (evs == result->end() || !evs->is_array() || evs->empty())
        continue;
      std::vector<etcd_event> out;
      try {
        for (const auto& e : *evs) {
          etcd_event ev;
          ev.deleted = e.value("type", "") == "DELETE";
          if (auto kv = e.find("kv"); kv != e.end())
            ev.kv = parse_kv(*kv);
          out.push_back(std::move(ev));
        }
      } catch (const std::exception& ex) {
        outcome = malformed(ex.what());
        return false;
      }
      on_events(std::move(out), num((*result)["header"], "revision"));
    }
    if (consumed > 64 * 1024) { // keep the body small
      text.erase(0, consumed);
      consumed = 0;
    }
    return true;
  };

  std::function<void()> read_more = [&] {
    http::async_read_some(stream, buffer, parser,
                          [&](beast::error_code ec, size_t) {
                            if (ec) {
                              failed = ec;
                              return;
                            }
                            last_data = clock_type::now();
                            if (!drain()) {
                              finished = true;
                              return;
                            }
                            if (parser.is_done()) {
                              failed = net::error::eof;
                              return;
                            }
                            read_more();
                          });
  };
  net::ip::tcp::resolver resolver{ioc};
  resolver.async_resolve(
      ep.host, ep.port,
      [&](beast::error_code ec, net::ip::tcp::resolver::results_type rs) {
        if (ec)
          return void(failed = ec);
        stream.async_connect(rs, [&](beast::error_code ec2, auto) {
          if (ec2)
            return void(failed = ec2);
          http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
            if (ec3)
              return void(failed = ec3);
            http::async_read_header(stream, buffer, parser,
                                    [&](beast::error_code ec4, size_t) {
                                      if (ec4)
                                        return void(failed = ec4);
                                      header_done = true;
                                      last_data = clock_type::now();
                                      read_more();
                                    });
          });
        });
      });
  for (;;) {
    ioc.run_for(std::chrono::milliseconds(100));
    if (finished || failed)
      break;
    if (stop()) {
      beast::error_code ignored;
      stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
      stream.close();
      return {};
    }
    if (clock_type::now() - last_data > idle_timeout) {
      outcome = unavailable(header_done ? "etcd watch: idle too long"
                                        : "etcd watch: no answer");
      break;
    }
  }
  stream.close();
  if (!outcome && failed)
    outcome = unavailable("etcd watch: " + failed.message());
  return outcome;
}

caf::expected<int64_t> etcd_client::grant(int64_t ttl_s) {
  auto doc =
      impl_->call("/v3/lease/grant", json{{"TTL", std::to_string(ttl_s)}});
  if (!doc)
    return std::move(doc.error());
  const auto id = num(*doc, "ID");
  if (id == 0)
    return malformed("a lease without an ID");
  return id;
}

caf::expected<int64_t> etcd_client::keep_alive(int64_t lease) {
  auto doc =
      impl_->call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}});
  if (!doc)
    return std::move(doc.error());
  // The gateway streams keep-alive answers: {"result":{"ID","TTL",…}}.
  auto r = doc->find("result");
  if (r == doc->end())
    return num(*doc, "TTL");
  return num(*r, "TTL");
}

caf::error etcd_client::revoke(int64_t lease) {
  auto doc =
      impl_->call("/v3/lease/revoke", json{{"ID", std::to_string(lease)}});
  if (!doc)
    return std::move(doc.error());
  return {};
}

} // namespace herald::cluster
