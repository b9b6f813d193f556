// Fuzz target for the whole request path of an in-process node: the bytes
// of an input are what a client sends on one connection (request line,
// headers, body, pipelined requests, a WebSocket upgrade). They go over a
// real loopback socket to tools/http's http_server, Beast's request
// parser, tools/api's node_api (its route table and resources) and its
// actors over a real store in a temp dir, wired as tools/heraldd/daemon.cpp
// wires them (started once, on the first input).
// "$TOKEN" in an input is replaced by the node's admin token, so seeds can
// reach past authentication.
// Properties: the process survives (no crash, no escaped exception); every
// response parses as HTTP; every 4xx/5xx body is DESIGN §7's error in
// valid UTF-8 JSON; no request is answered 500 (a handler threw or a bug);
// the node answers within 10 s and closes the connection after the client
// half-closes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "fuzz/error_check.hpp"
#include "storage/event_store.hpp"
#include "tools/api/auth_service.hpp"
#include "tools/api/node_api.hpp"
#include "tools/http/http_server.hpp"

namespace {

namespace hd = herald::api;
namespace hh = herald::http;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace fs = std::filesystem;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "node_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

/// The node, started once and never destroyed (the process exits with it).
struct node {
  fs::path dir;
  std::shared_ptr<herald::storage::event_store> store;
  std::shared_ptr<hd::auth_service> auth;
  caf::actor_system_config caf_cfg;
  std::unique_ptr<caf::actor_system> sys;
  herald::actors::node_handles handles;
  hd::api_options opts;
  net::io_context ioc{1};
  std::unique_ptr<hd::node_api> api;
  std::shared_ptr<hh::http_server> server;
  std::thread io;
  uint16_t port = 0;
  std::string token;

  node() {
    spdlog::set_level(spdlog::level::err);
    char tmpl[] = "/tmp/herald-node-fuzz-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      fail("mkdtemp", "");
    dir = tmpl;
    herald::storage::store_options sopts;
    sopts.dir = dir / "store";
    sopts.sync = false;
    auto opened = herald::storage::event_store::open(sopts);
    if (!opened)
      fail("store", herald::runtime::describe(opened.error()).message);
    store = std::move(*opened);
    hd::auth_options aopts;
    aopts.data_dir = dir;
    auto a = hd::auth_service::open(aopts);
    if (!a)
      fail("auth", herald::runtime::describe(a.error()).message);
    auth = std::move(*a);
    caf_cfg.set("scheduler.max-threads", size_t{2});
    sys = std::make_unique<caf::actor_system>(caf_cfg);
    herald::actors::node_options nopts;
    nopts.node_id = "n-fuzz";
    handles = herald::actors::spawn_node(*sys, store, nopts);
    auto defs =
        herald::actors::spawn_definitions(*sys, store, handles.writer, {auth});
    if (!defs)
      fail("definitions", herald::runtime::describe(defs.error()).message);
    handles.definitions = *defs;
    if (auto err = auth->ensure_admin_token(*sys, handles.definitions))
      fail("admin token", herald::runtime::describe(err).message);
    std::ifstream in{dir / "admin.token"};
    std::getline(in, token);
    opts.stream_idle_timeout = std::chrono::seconds{5};
    api = std::make_unique<hd::node_api>(*sys, handles, opts, auth);
    api->set_ready(true);
    hh::http_limits limits; // heraldd's defaults but the idle timeout
    limits.idle_timeout_s = 5;
    server = std::make_shared<hh::http_server>(ioc, *api, limits);
    auto p = server->listen(hh::endpoint{"127.0.0.1", 0});
    if (!p)
      fail("listen", herald::runtime::describe(p.error()).message);
    port = *p;
    // No barrier here: an exception escaping the server is a finding.
    io = std::thread{[this] { ioc.run(); }};
    std::atexit([] { instance().stop(); });
  }

  void stop() {
    api->close_streams();
    ioc.stop();
    if (io.joinable())
      io.join();
    herald::actors::stop_node(*sys, handles);
  }

  static node& instance() {
    static node* n = new node; // never destroyed: threads outlive main
    return *n;
  }
};

/// The input with every "$TOKEN" replaced by the admin token.
std::string with_token(std::string_view in, const std::string& token) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    if (in.substr(i, 6) == "$TOKEN") {
      out += token;
      i += 6;
    } else {
      out += in[i++];
    }
  }
  return out;
}

/// Sends `bytes`, half-closes, reads until the node closes. Fails on a
/// node that neither answers nor closes within 10 s.
std::string talk(uint16_t port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    fail("cannot connect to the node", "");
  size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break; // the node answered and closed before reading everything
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string in;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds{10};
  for (;;) {
    if (std::chrono::steady_clock::now() > deadline)
      fail("the node neither answered nor closed within 10 s",
           std::to_string(in.size()) + " bytes read");
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buf[16384];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return in;
}

/// For each request in `bytes` that parses (as the server parses it),
/// whether it is HEAD; stops at the first that does not parse.
std::vector<bool> head_requests(std::string_view bytes) {
  std::vector<bool> out;
  size_t off = 0;
  while (off < bytes.size()) {
    http::request_parser<http::string_body> p;
    p.body_limit(1024 * 1024);
    p.header_limit(16 * 1024);
    boost::beast::error_code ec;
    while (!p.is_done() && off < bytes.size()) {
      auto n = p.put(net::buffer(bytes.data() + off, bytes.size() - off), ec);
      off += n;
      if (ec == http::error::need_more && n > 0) {
        ec = {};
        continue;
      }
      if (ec)
        return out;
    }
    if (!p.is_done())
      return out;
    out.push_back(p.get().method() == http::verb::head);
  }
  return out;
}

/// Checks every complete response in `in`; stops at a 101 (WebSocket frames
/// follow) and at a truncated last response. Replies to HEAD requests
/// (`heads`, in request order) are only parsed (their body, if any, is not
/// looked at).
void check_responses(std::string_view in, const std::vector<bool>& heads) {
  size_t off = 0;
  size_t index = 0;
  while (off < in.size()) {
    http::response_parser<http::string_body> p;
    p.eager(true);
    p.body_limit(64u << 20);
    p.header_limit(64u << 10);
    const bool skipped = index < heads.size() && heads[index];
    ++index;
    if (skipped)
      p.skip(true);
    boost::beast::error_code ec;
    while (!p.is_done() && off < in.size()) {
      auto n = p.put(net::buffer(in.data() + off, in.size() - off), ec);
      off += n;
      if (ec == http::error::need_more) {
        ec = {};
        if (n == 0)
          break;
        continue;
      }
      if (ec)
        fail("the node's response does not parse",
             ec.message() + "\n" + std::string{in.substr(0, 2000)});
    }
    if (!p.is_done())
      return; // truncated: the rest of a HEAD reply or a closed stream
    if (skipped) {
      // A HEAD reply has no body, but a request that did not parse gets its
      // error body whatever the method: not checked, nor anything after it.
      if (!in.substr(off).starts_with("HTTP/1."))
        return;
      continue;
    }
    const auto& res = p.get();
    const unsigned status = res.result_int();
    if (status == 101)
      return;
    if (status == 500)
      fail("a request was answered 500", std::string{res.body()});
    if (status >= 400) {
      auto problem = herald::fuzz::error_body_problem(res.body());
      if (!problem.empty())
        fail(("error body: " + problem).c_str(), std::string{res.body()});
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& n = node::instance();
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  auto bytes = with_token(input, n.token);
  auto reply = talk(n.port, bytes);
  check_responses(reply, head_requests(bytes));
  return 0;
}
