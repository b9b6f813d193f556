// What authentication costs (docs/BENCHMARKS.md "auth"):
//  - login: sequential POST /api/v1/auth/login on one connection — each is
//    one argon2id verification on the node's hashing thread, plus the
//    auth.ok event's durable write;
//  - per request: one keep-alive connection, closed loop, GET
//    /api/v1/sources/herald (a bearer check and an in-memory lookup, no actor
//    round trip) with the admin service token and with a login JWT, against
//    /healthz (no credential) as the baseline.

#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/scenarios.hpp"

namespace herald::bench {

namespace {

constexpr const char* bench_user = "bench";
constexpr const char* bench_password = "bench-password-123";

/// `n` GETs of `target` on one connection: requests/s and latency.
nlohmann::json closed_loop(bench_node& node, const std::string& token,
                           const std::string& target, size_t n,
                           std::string& error) {
  http_conn conn{node.host(), node.port(), token};
  std::vector<int64_t> lat;
  lat.reserve(n);
  auto start = clock_type::now();
  for (size_t i = 0; i < n; ++i) {
    auto t0 = mono_ns();
    auto res = conn.get(target);
    lat.push_back(mono_ns() - t0);
    if (!res.ok()) {
      error = target + ": HTTP " + std::to_string(res.status) + " " +
              res.body.substr(0, 200);
      return {};
    }
  }
  auto elapsed = seconds_since(start);
  auto s = summarize(lat);
  return {{"requests_per_s", static_cast<double>(n) / elapsed},
          {"latency", s.to_json()}};
}

nlohmann::json auth_once(const auth_options& opts) {
  bench_node node;
  auto users = make_temp_dir(opts.node.work_dir, "auth-users");
  auto users_file = users + "/users.json";
  std::ofstream{users_file} << nlohmann::json{
      {"users",
       {{{"name", bench_user},
         {"password", bench_password},
         {"roles", {"reader"}}}}}}.dump();
  if (auto err = node.open(opts.node, "auth", {"--users", users_file});
      !err.empty())
    return {{"error", err}};
  std::error_code ec;
  std::filesystem::remove_all(users, ec);

  // Logins.
  http_conn conn{node.host(), node.port()};
  const auto body = nlohmann::json{
      {"username", bench_user},
      {"password",
       bench_password}}.dump();
  std::vector<int64_t> login_lat;
  std::string jwt;
  auto start = clock_type::now();
  for (size_t i = 0; i < opts.logins; ++i) {
    auto t0 = mono_ns();
    auto res = conn.post("/api/v1/auth/login", body);
    login_lat.push_back(mono_ns() - t0);
    if (!res.ok())
      return {{"error", "login: HTTP " + std::to_string(res.status) + " " +
                            res.body.substr(0, 200)}};
    if (jwt.empty())
      jwt = nlohmann::json::parse(res.body, nullptr, false).value("token", "");
  }
  auto login_s = seconds_since(start);
  auto login = summarize(login_lat);

  std::string error;
  auto base = closed_loop(node, "", "/healthz", opts.requests, error);
  auto svc = closed_loop(node, node.token(), "/api/v1/sources/herald",
                         opts.requests, error);
  auto with_jwt =
      closed_loop(node, jwt, "/api/v1/sources/herald", opts.requests, error);
  if (!error.empty())
    return {{"error", error}};
  nlohmann::json run{
      {"logins_per_s", static_cast<double>(opts.logins) / login_s},
      {"login_latency", login.to_json()},
      {"healthz", base},
      {"service_token", svc},
      {"jwt", with_jwt}};
  auto p50 = [](const nlohmann::json& j) {
    return j["latency"]["p50_ms"].get<double>();
  };
  run["summary"] = "login p50 " + fixed(login.p50_ms, 1) + " ms p99 " +
                   fixed(login.p99_ms, 1) + " ms; request p50 /healthz " +
                   fixed(p50(base), 3) + " ms, service token " +
                   fixed(p50(svc), 3) + " ms, JWT " + fixed(p50(with_jwt), 3) +
                   " ms (" + fixed(base["requests_per_s"].get<double>(), 0) +
                   " / " + fixed(svc["requests_per_s"].get<double>(), 0) +
                   " / " + fixed(with_jwt["requests_per_s"].get<double>(), 0) +
                   " req/s)";
  return run;
}

} // namespace

int run_auth(const auth_options& opts) {
  if (!opts.node.url.empty()) {
    std::cerr << "auth: spawned nodes only (the bench user comes from "
                 "--users)\n";
    return 1;
  }
  report rep;
  rep.scenario = "auth";
  rep.params = {{"logins", opts.logins},
                {"requests", opts.requests},
                {"repeat", opts.repeat}};
  rep.load_before = load_average();
  for (int r = 0; r < opts.repeat; ++r) {
    auto run = auth_once(opts);
    if (run.contains("error")) {
      std::cerr << "auth: " << run["error"].get<std::string>() << "\n";
      return 1;
    }
    rep.runs.push_back(std::move(run));
  }
  rep.load_after = load_average();
  rep.compute_median({"/login_latency/p50_ms", "/login_latency/p99_ms",
                      "/healthz/latency/p50_ms",
                      "/service_token/latency/p50_ms", "/jwt/latency/p50_ms",
                      "/healthz/requests_per_s",
                      "/service_token/requests_per_s", "/jwt/requests_per_s"});
  rep.print(opts.out);
  return 0;
}

} // namespace herald::bench
