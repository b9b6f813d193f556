#include "tests/support/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace herald::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

/// Response bodies up to this size are read (a page of 1000 events with
/// 1 KiB of data each is ~1.2 MiB).
constexpr uint64_t max_response_body = 256ull << 20;

/// Beast 1.74 takes boost::string_view, not std::string_view.
beast::string_view bsv(std::string_view text) {
  return {text.data(), text.size()};
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool has_header(const header_list& headers, std::string_view name) {
  auto wanted = lower(name);
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return lower(h.first) == wanted; });
}

/// Runs `ioc` until the pending operation (which carries its own deadline via
/// the tcp_stream expiry) completes.
void run_to_completion(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

} // namespace

std::string http_response::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

nlohmann::json http_response::json() const {
  return nlohmann::json::parse(body, nullptr, false);
}

std::string http_response::describe() const {
  if (status == 0)
    return "no HTTP response: " + error;
  constexpr size_t max_shown = 2000;
  auto shown = body.size() > max_shown
                   ? body.substr(0, max_shown) + "...(" +
                         std::to_string(body.size()) + " bytes)"
                   : body;
  return "HTTP " + std::to_string(status) + " " + shown;
}

http_client::http_client(uint16_t port, std::string host)
    : port_(port), host_(std::move(host)) {}

http_response http_client::request(std::string_view method,
                                   std::string_view target, std::string body,
                                   const header_list& headers) const {
  http_response out;
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;

  auto address = asio::ip::make_address(host_, ec);
  if (ec) {
    out.error = "bad host " + host_ + ": " + ec.message();
    return out;
  }
  stream.expires_after(timeout_);
  stream.async_connect(tcp::endpoint(address, port_),
                       [&](beast::error_code e) { ec = e; });
  run_to_completion(ioc);
  if (ec) {
    out.error = "connect to " + host_ + ":" + std::to_string(port_) + ": " +
                ec.message();
    return out;
  }

  http::request<http::string_body> req;
  auto verb = http::string_to_verb(bsv(method));
  if (verb == http::verb::unknown)
    req.method_string(bsv(method));
  else
    req.method(verb);
  req.target(bsv(target));
  req.version(11);
  req.set(http::field::host, host_ + ":" + std::to_string(port_));
  req.set(http::field::user_agent, "herald-process-tests");
  if (!token_.empty())
    req.set(http::field::authorization, "Bearer " + token_);
  for (const auto& [name, value] : headers)
    req.set(name, value);
  req.keep_alive(false);
  req.body() = std::move(body);
  if (!req.body().empty() || verb == http::verb::post ||
      verb == http::verb::put || verb == http::verb::patch)
    req.prepare_payload();

  stream.expires_after(timeout_);
  beast::error_code write_ec;
  http::async_write(stream, req,
                    [&](beast::error_code e, size_t) { write_ec = e; });
  run_to_completion(ioc);

  // Read even when the write failed: a server may answer 413 and close
  // before it took the whole body; its answer is then already buffered.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_response_body);
  stream.expires_after(timeout_);
  http::async_read(stream, buffer, parser,
                   [&](beast::error_code e, size_t) { ec = e; });
  run_to_completion(ioc);
  if (ec && !parser.is_header_done()) {
    out.error = (write_ec ? "write: " + write_ec.message() + "; " : "") +
                "read: " + ec.message();
    return out;
  }
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res)
    out.headers[lower(
        std::string(field.name_string().data(), field.name_string().size()))] =
        std::string(field.value().data(), field.value().size());
  out.body = res.body();
  if (ec)
    out.error = "read body: " + ec.message();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

http_response http_client::get(std::string_view target,
                               const header_list& headers) const {
  return request("GET", target, {}, headers);
}

http_response http_client::post(std::string_view target, std::string body,
                                const header_list& headers) const {
  if (has_header(headers, "content-type"))
    return request("POST", target, std::move(body), headers);
  auto with_type = headers;
  with_type.emplace_back("Content-Type", "application/json");
  return request("POST", target, std::move(body), with_type);
}

http_response http_client::post_json(std::string_view target,
                                     const nlohmann::json& body,
                                     const header_list& headers) const {
  return post(target, body.dump(), headers);
}

http_response http_client::put_json(std::string_view target,
                                    const nlohmann::json& body,
                                    const header_list& headers) const {
  auto with_type = headers;
  if (!has_header(headers, "content-type"))
    with_type.emplace_back("Content-Type", "application/json");
  return request("PUT", target, body.dump(), with_type);
}

std::string url_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

std::string with_query(std::string_view path, const header_list& params) {
  std::string out(path);
  char sep = '?';
  for (const auto& [name, value] : params) {
    out += sep;
    out += url_encode(name);
    out += '=';
    out += url_encode(value);
    sep = '&';
  }
  return out;
}

} // namespace herald::test
