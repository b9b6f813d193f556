// heraldctl — the operator tool (DESIGN §6 "Operator tool"; docs/API.md
// "heraldctl"). Events and definitions go over CAF through the client
// library's session; admin calls without a CAF message go to the node's HTTP
// API (docs/CLIENT.md says which).

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/native_event_reader.hpp"
#include "runtime/text_util.hpp"
#include "runtime/time_format.hpp"
#include "tools/client/client.hpp"
#include "tools/client/http_admin.hpp"
#include "tools/heraldctl/output.hpp"

namespace herald::heraldctl {
namespace {

using json = nlohmann::json;

constexpr const char* exit_codes_help =
    "Exit codes: 0 ok; 1 the node failed or could not be reached; 2 usage "
    "error (bad flags or arguments, or a request the node rejected as "
    "invalid); 3 not found, unauthorized or forbidden.";

/// Global flags, resolved into addresses and a token.
struct context {
  std::string node;
  std::string http;
  std::string token;
  std::string data_dir;
  bool json_out = false;
  int timeout_s = 10;
  /// TLS on the node port (--tls-cert, --tls-key, --tls-ca): all or none.
  protocol::node_tls tls;
  std::string tls_passphrase_file;

  std::string node_host = "127.0.0.1";
  uint16_t node_port = 8471;
  std::string http_host = "127.0.0.1";
  uint16_t http_port = 8470;
};

bool split(const std::string& addr, std::string& host, uint16_t& port) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  try {
    auto p = std::stoul(addr.substr(colon + 1));
    if (p == 0 || p > 65535)
      return false;
    host = addr.substr(0, colon);
    port = static_cast<uint16_t>(p);
    return true;
  } catch (...) {
    return false;
  }
}

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in{p};
  if (!in)
    return std::nullopt;
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

/// --node/--http, else DIR/ports.json, else the defaults; the token from
/// --token, $HERALD_TOKEN, DIR/admin.token. Returns an exit code on error.
std::optional<int> resolve(context& c) {
  if (!c.data_dir.empty()) {
    if (auto ports =
            read_file(std::filesystem::path{c.data_dir} / "ports.json")) {
      auto j = json::parse(*ports, nullptr, false);
      if (j.is_object()) {
        if (j.value("node", 0) > 0)
          c.node_port = static_cast<uint16_t>(j.value("node", 0));
        if (j.value("http", 0) > 0)
          c.http_port = static_cast<uint16_t>(j.value("http", 0));
      }
    }
  }
  if (!c.node.empty() && !split(c.node, c.node_host, c.node_port))
    return usage("--node takes HOST:PORT, got '" + c.node + "'");
  if (!c.http.empty() && !split(c.http, c.http_host, c.http_port))
    return usage("--http takes HOST:PORT, got '" + c.http + "'");
  if (!c.tls_passphrase_file.empty()) {
    auto pass = protocol::read_passphrase_file(c.tls_passphrase_file);
    if (!pass)
      return usage("--tls-key-passphrase-file: " +
                   runtime::describe(pass.error()).message);
    c.tls.key_passphrase = std::move(*pass);
  }
  if (auto err = protocol::check(c.tls)) {
    const auto what = runtime::describe(err);
    return usage((what.field == "passphrase" ? std::string{"--tls-key-"
                                                           "passphrase-file"}
                                             : "--tls-" + what.field) +
                 ": " + what.message);
  }
  if (c.token.empty())
    if (const char* env = std::getenv("HERALD_TOKEN"))
      c.token = env;
  if (c.token.empty() && !c.data_dir.empty()) {
    if (auto t = read_file(std::filesystem::path{c.data_dir} / "admin.token")) {
      c.token = *t;
      while (!c.token.empty() &&
             (c.token.back() == '\n' || c.token.back() == '\r' ||
              c.token.back() == ' '))
        c.token.pop_back();
    }
  }
  return std::nullopt;
}

client::http_admin http_of(const context& c) {
  return client::http_admin{c.http_host, c.http_port, c.token,
                            std::chrono::seconds(c.timeout_s)};
}

caf::expected<client::connection> connect(const context& c) {
  client::connect_options o;
  o.host = c.node_host;
  o.port = c.node_port;
  o.token = c.token;
  o.timeout = std::chrono::seconds(c.timeout_s);
  o.tls = c.tls;
  return client::connection::connect(o);
}

// -- HTTP-backed commands ---------------------------------------------------

/// GET `path`; prints the array under `key` as a table of `cols`, each row
/// first passed through `flatten` when given (nested fields to columns).
int http_list(const context& c, const std::string& path, const std::string& key,
              const std::vector<column>& cols,
              const std::function<json(const json&)>& flatten = {}) {
  auto r = http_of(c).get(path);
  if (!r)
    return report(r.error());
  if (!r->ok())
    return report(*r);
  if (c.json_out) {
    std::cout << r->body << "\n";
    return exit_ok;
  }
  auto body = json::parse(r->body, nullptr, false);
  if (flatten && body.is_object() && body.contains(key) && body[key].is_array())
    for (auto& row : body[key])
      row = flatten(row);
  print_table(
      body.is_object() && body.contains(key) ? body[key] : json::array(), cols);
  return exit_ok;
}

/// `method` `path` (body optional); prints the answer's fields.
int http_call(const context& c, const std::string& method,
              const std::string& path, const std::string& body = {}) {
  auto r = http_of(c).request(method, path, body);
  if (!r)
    return report(r.error());
  if (!r->ok())
    return report(*r);
  if (c.json_out) {
    std::cout << (r->body.empty() ? std::string{"{}"} : r->body) << "\n";
    return exit_ok;
  }
  auto j = json::parse(r->body, nullptr, false);
  if (j.is_object())
    print_fields(j);
  else if (!r->body.empty())
    std::cout << r->body << "\n";
  else
    std::cout << "ok\n";
  return exit_ok;
}

// -- CAF-backed commands ----------------------------------------------------

json event_json(const v1::Event& ev) {
  return runtime::to_native_json(ev);
}

json event_row(const v1::Event& ev) {
  return {{"node", ev.node()},
          {"seq", ev.seq()},
          {"time", runtime::format_rfc3339(ev.time_ns())},
          {"name", ev.name()},
          {"source", ev.source()},
          {"id", ev.id()}};
}

const std::vector<column> event_cols = {{"node", "node"},     {"seq", "seq"},
                                        {"time", "time"},     {"name", "name"},
                                        {"source", "source"}, {"id", "id"}};

struct query_flags {
  std::string name, source, tenant, user, scope, filter, since, until, after;
  size_t limit = 100;
  bool desc = false;
  bool all = false;
};

/// The page loop's output, shared by the CAF and the HTTP query.
int print_events(const context& c, const query_flags& f, const json& events,
                 const json& rows, const std::string& next) {
  if (f.all && !events.empty())
    std::cerr << "\rfetched " << events.size() << " events   \n";
  if (c.json_out) {
    json out = {{"events", events}};
    if (!next.empty())
      out["next"] = next;
    std::cout << out.dump() << "\n";
    return exit_ok;
  }
  print_table(rows, event_cols);
  if (!next.empty())
    std::cerr << "more: pass --after " << next << " (or --all)\n";
  return exit_ok;
}

/// `events query` through the HTTP API (when its address was given): in a
/// cluster the node merges every node's trail there (DESIGN §6), where a
/// query over the node port reads that node's trail only.
/// A cluster reply that missed nodes says which, on stderr.
void report_missing(const std::set<std::string>& missing) {
  if (missing.empty())
    return;
  std::string names;
  for (const auto& m : missing)
    names += (names.empty() ? "" : ", ") + m;
  std::cerr << "partial: no answer from " << names << "\n";
}

int events_query_http(const context& c, const query_flags& f) {
  if (f.limit < 1 || f.limit > 1000)
    return usage("--limit takes 1..1000");
  std::string base = "/api/v1/events?limit=" + std::to_string(f.limit);
  for (auto [key, value] : {std::pair{"name", &f.name},
                            {"source", &f.source},
                            {"tenant", &f.tenant},
                            {"user", &f.user},
                            {"scope", &f.scope},
                            {"filter", &f.filter},
                            {"since", &f.since},
                            {"until", &f.until}})
    if (!value->empty())
      base += std::string{"&"} + key + "=" + runtime::percent_encode(*value);
  if (f.desc)
    base += "&order=desc";
  json events = json::array();
  json rows = json::array();
  std::string next = f.after;
  std::set<std::string> missing;
  for (;;) {
    auto r = http_of(c).get(
        next.empty() ? base : base + "&after=" + runtime::percent_encode(next));
    if (!r)
      return report(r.error());
    if (!r->ok())
      return report(*r);
    auto page = json::parse(r->body, nullptr, false);
    if (!page.is_object() || !page.contains("events"))
      return report(caf::make_error(runtime::errc::unavailable,
                                    "the node's reply is not a page"));
    for (const auto& e : page["events"]) {
      auto ev = runtime::read_native_event(e);
      if (!ev)
        return report(ev.error());
      events.push_back(event_json(*ev));
      rows.push_back(event_row(*ev));
    }
    if (page.value("partial", false))
      for (const auto& m : page["missing"])
        missing.insert(m.get<std::string>());
    next = page.value("next", "");
    if (!f.all || next.empty())
      break;
    std::cerr << "\rfetched " << events.size() << " events…" << std::flush;
  }
  report_missing(missing);
  return print_events(c, f, events, rows, next);
}

/// GET /api/v1/scopes: the scopes one segment below `parent`, one per
/// line (`--json`: the reply, every page merged with `all`). Without `all`
/// a page that has more says so on stderr with its cursor.
int scopes_list(const context& c, const std::string& parent, std::string after,
                int limit, bool all) {
  if (limit < 1 || limit > 1000)
    return usage("--limit takes 1..1000");
  const std::string base =
      "/api/v1/scopes?limit=" + std::to_string(limit) +
      (parent.empty() ? std::string{}
                      : "&parent=" + runtime::percent_encode(parent));
  json scopes = json::array();
  std::set<std::string> missing;
  std::string next;
  for (;;) {
    auto r = http_of(c).get(
        after.empty() ? base
                      : base + "&after=" + runtime::percent_encode(after));
    if (!r)
      return report(r.error());
    if (!r->ok())
      return report(*r);
    auto page = json::parse(r->body, nullptr, false);
    if (!page.is_object() || !page.contains("scopes") ||
        !page["scopes"].is_array())
      return report(caf::make_error(runtime::errc::unavailable,
                                    "the node's reply is not a scope level"));
    for (const auto& s : page["scopes"])
      scopes.push_back(s);
    if (page.value("partial", false) && page["missing"].is_array())
      for (const auto& m : page["missing"])
        missing.insert(m.is_string() ? m.get<std::string>() : m.dump());
    next = page.value("next", "");
    if (!all || next.empty())
      break;
    after = next;
  }
  if (c.json_out) {
    json out{{"parent", parent}, {"scopes", scopes}};
    if (!next.empty())
      out["next"] = next;
    if (!missing.empty()) {
      out["partial"] = true;
      out["missing"] = missing;
    }
    std::cout << out.dump() << "\n";
  } else {
    for (const auto& s : scopes)
      std::cout << s.get<std::string>() << "\n";
    if (!next.empty())
      std::cerr << "more after " << next << " (--after " << next
                << ", or --all)\n";
  }
  report_missing(missing);
  return exit_ok;
}

int events_query(const context& c, const query_flags& f) {
  if (!c.http.empty() || !c.data_dir.empty())
    return events_query_http(c, f);
  protocol::event_query q;
  auto set = [](std::optional<std::string>& dst, const std::string& v) {
    if (!v.empty())
      dst = v;
  };
  set(q.name, f.name);
  set(q.source, f.source);
  set(q.tenant, f.tenant);
  set(q.user, f.user);
  set(q.scope, f.scope);
  set(q.after, f.after);
  if (!f.since.empty()) {
    auto t = runtime::parse_rfc3339(f.since);
    if (!t)
      return usage("--since takes an RFC 3339 time, got '" + f.since + "'");
    q.since_ns = *t;
  }
  if (!f.until.empty()) {
    auto t = runtime::parse_rfc3339(f.until);
    if (!t)
      return usage("--until takes an RFC 3339 time, got '" + f.until + "'");
    q.until_ns = *t;
  }
  if (!f.filter.empty()) {
    auto flt = runtime::content_filter::parse(f.filter, "filter");
    if (!flt)
      return report(flt.error());
    q.filter = std::move(*flt);
  }
  if (f.limit < 1 || f.limit > 1000)
    return usage("--limit takes 1..1000");
  q.limit = f.limit;
  q.descending = f.desc;
  auto conn = connect(c);
  if (!conn)
    return report(conn.error());
  json events = json::array();
  json rows = json::array();
  std::string next;
  for (;;) {
    auto page = conn->query(q);
    if (!page)
      return report(page.error());
    for (auto& ev : page->events) {
      events.push_back(event_json(ev));
      rows.push_back(event_row(ev));
    }
    next = page->next;
    if (!f.all || next.empty())
      break;
    // A long scan: say how far it got (stderr, so --json stays clean).
    std::cerr << "\rfetched " << events.size() << " events…" << std::flush;
    q.after = next;
  }
  return print_events(c, f, events, rows, next);
}

int events_publish(const context& c, const std::string& body_arg,
                   const std::string& file, const std::string& name,
                   const std::string& data, const std::string& source) {
  std::string body = body_arg;
  if (!file.empty()) {
    auto text = file == "-" ? std::optional<std::string>{std::string{
                                  std::istreambuf_iterator<char>{std::cin}, {}}}
                            : read_file(file);
    if (!text)
      return usage("cannot read --file " + file);
    body = *text;
  }
  if (body.empty()) {
    if (name.empty())
      return usage("events publish needs a JSON body, --file FILE or --name");
    json ev = {{"name", name}};
    if (!source.empty())
      ev["source"] = source;
    if (!data.empty()) {
      auto d = json::parse(data, nullptr, false);
      if (d.is_discarded())
        return usage("--data takes JSON, got '" + data + "'");
      ev["data"] = d;
    }
    body = ev.dump();
  }
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto batch = runtime::decode_publish(body, runtime::publish_limits{}, now);
  if (!batch)
    return report(batch.error());
  auto conn = connect(c);
  if (!conn)
    return report(conn.error());
  auto acks = conn->publish(std::move(batch->events));
  if (!acks)
    return report(acks.error());
  json rows = json::array();
  for (auto& a : *acks) {
    json r = {{"id", a.id}, {"seq", a.seq}};
    if (a.duplicate)
      r["duplicate"] = true;
    rows.push_back(r);
  }
  if (c.json_out) {
    std::cout << (batch->is_array || rows.size() != 1
                      ? json{{"events", rows}}.dump()
                      : rows[0].dump())
              << "\n";
    return exit_ok;
  }
  print_table(rows, {{"id", "id"}, {"seq", "seq"}, {"duplicate", "duplicate"}});
  return exit_ok;
}

std::atomic<bool> interrupted{false};

int events_tail(const context& c, const client::subscribe_options& o,
                size_t count, int for_s) {
  auto conn = connect(c);
  if (!conn)
    return report(conn.error());
  std::mutex mx;
  std::condition_variable cv;
  size_t seen = 0;
  bool header = !c.json_out;
  auto sub = conn->subscribe(o, [&](const v1::Event& ev) {
    std::lock_guard<std::mutex> guard{mx};
    if (count > 0 && seen >= count)
      return;
    if (c.json_out) {
      std::cout << event_json(ev).dump() << std::endl;
    } else {
      if (header) {
        std::cout << "SEQ\tTIME\tNAME\tSOURCE\tID\n";
        header = false;
      }
      std::cout << ev.seq() << "\t" << runtime::format_rfc3339(ev.time_ns())
                << "\t" << ev.name() << "\t" << ev.source() << "\t" << ev.id()
                << std::endl;
    }
    ++seen;
    cv.notify_all();
  });
  if (!sub)
    return report(sub.error());
  // Ready: tests and scripts may publish once this line is on stderr.
  std::cerr << "tailing (subscription " << sub->id() << ")" << std::endl;
  std::signal(SIGINT, [](int) { interrupted = true; });
  std::signal(SIGTERM, [](int) { interrupted = true; });
  const auto until =
      for_s > 0 ? std::chrono::steady_clock::now() + std::chrono::seconds(for_s)
                : std::chrono::steady_clock::time_point::max();
  std::unique_lock<std::mutex> lock{mx};
  while (!interrupted && (count == 0 || seen < count) &&
         std::chrono::steady_clock::now() < until)
    // Wakes on each event; the short bound notices a signal.
    cv.wait_for(lock, std::chrono::milliseconds(200));
  lock.unlock();
  sub->cancel();
  return count > 0 && seen < count && !interrupted ? exit_failure : exit_ok;
}

int config_get(const context& c, const std::string& key) {
  auto conn = connect(c);
  if (!conn)
    return report(conn.error());
  auto def = conn->get("config/" + key);
  if (!def)
    return report(def.error());
  auto value = json::parse(def->value, nullptr, false);
  if (c.json_out) {
    std::cout << json{{"key", key},
                      {"value",
                       value.is_discarded() ? json(def->value) : value},
                      {"version", def->version}}
                     .dump()
              << "\n";
    return exit_ok;
  }
  print_fields({{"key", key},
                {"value", value.is_discarded() ? json(def->value) : value},
                {"version", def->version}});
  return exit_ok;
}

int config_list(const context& c) {
  auto conn = connect(c);
  if (!conn)
    return report(conn.error());
  auto defs = conn->list("config/");
  if (!defs)
    return report(defs.error());
  json rows = json::array();
  for (auto& d : *defs)
    rows.push_back({{"key", d.key.substr(7)}, {"version", d.version}});
  if (c.json_out)
    std::cout << json{{"configs", rows}}.dump() << "\n";
  else
    print_table(rows, {{"key", "key"}, {"version", "version"}});
  return exit_ok;
}

int status(const context& c) {
  json out = {{"node_port", c.node_host + ":" + std::to_string(c.node_port)},
              {"http", c.http_host + ":" + std::to_string(c.http_port)}};
  int rc = exit_ok;
  auto ready = http_of(c).get("/readyz");
  out["ready"] = ready && ready->status == 200;
  if (!ready || ready->status != 200)
    rc = exit_failure;
  auto nodes = http_of(c).get("/api/v1/nodes");
  if (nodes && nodes->ok()) {
    auto j = json::parse(nodes->body, nullptr, false);
    if (j.is_object() && j["nodes"].is_array()) {
      out["nodes"] = j["nodes"].size();
      for (auto& n : j["nodes"])
        if (n.value("self", false))
          out["node"] = n.value("id", "");
    }
  }
  auto conn = connect(c);
  if (conn) {
    out["login"] = "ok";
  } else {
    out["login"] = runtime::describe(conn.error()).message;
    rc = exit_failure;
  }
  if (c.json_out)
    std::cout << out.dump() << "\n";
  else
    print_fields(out);
  if (rc != exit_ok && !conn)
    return report(conn.error());
  return rc;
}

} // namespace

int run(int argc, char** argv) {
  CLI::App app{"heraldctl — operate a Herald node.\n\nThe node port (--node) "
               "takes events and definitions over CAF; admin calls go to the "
               "HTTP API (--http). The token comes from --token, "
               "$HERALD_TOKEN or DIR/admin.token with --data-dir DIR.",
               "heraldctl"};
  app.footer(exit_codes_help);
  app.require_subcommand(1);
  context c;
  app.add_option("--node", c.node,
                 "node port HOST:PORT (default 127.0.0.1:8471)");
  app.add_option("--http", c.http,
                 "HTTP API HOST:PORT (default 127.0.0.1:8470)");
  app.add_option("--token", c.token, "bearer token (else $HERALD_TOKEN)");
  app.add_option("--data-dir", c.data_dir,
                 "a node's data dir: its admin.token and ports.json");
  app.add_flag("--json", c.json_out, "print the raw JSON");
  app.add_option("--timeout", c.timeout_s, "seconds per request")
      ->check(CLI::Range(1, 3600));
  app.add_option("--tls-cert", c.tls.cert_file,
                 "TLS on the node port: this client's certificate (PEM, "
                 "signed by the node's CA); with --tls-key and --tls-ca");
  app.add_option("--tls-key", c.tls.key_file,
                 "TLS on the node port: the certificate's private key");
  app.add_option("--tls-ca", c.tls.ca_file,
                 "TLS on the node port: the CA the node's certificate must "
                 "be signed by");
  app.add_option("--tls-key-passphrase-file", c.tls_passphrase_file,
                 "file whose first line decrypts --tls-key");

  std::function<int()> action;
  auto on = [&action](CLI::App* sub, std::function<int()> f) {
    sub->callback([&action, f] { action = f; });
  };
  auto id_of = [](CLI::App* sub, std::string& id, const char* what) {
    sub->add_option("id", id, what)->required();
  };

  on(app.add_subcommand("status", "node readiness, id and login check"),
     [&] { return status(c); });
  on(app.add_subcommand("nodes", "the cluster's nodes"), [&] {
    return http_list(c, "/api/v1/nodes", "nodes",
                     {{"id", "id"},
                      {"address", "address"},
                      {"state", "state"},
                      {"self", "self"},
                      {"last_seen", "last seen"}});
  });
  on(app.add_subcommand("actors", "the node's actors and the work queued at "
                                  "each (admin)"),
     [&] {
       return http_list(c, "/api/v1/actors", "actors",
                        {{"kind", "kind"},
                         {"id", "id"},
                         {"node", "node"},
                         {"depth", "depth"},
                         {"unit", "of"}});
     });

  std::string scopes_parent, scopes_after;
  int scopes_limit = 100;
  bool scopes_all = false;
  auto* sc = app.add_subcommand(
      "scopes", "the scopes one segment below PARENT (none: the roots)");
  sc->add_option("parent", scopes_parent, "a scope, e.g. project/p1");
  sc->add_option("--after", scopes_after, "the scope a previous page ended at");
  sc->add_option("--limit", scopes_limit, "scopes per page (1..1000)");
  sc->add_flag("--all", scopes_all, "every page");
  on(sc, [&] {
    return scopes_list(c, scopes_parent, scopes_after, scopes_limit,
                       scopes_all);
  });

  // events
  auto* events = app.add_subcommand("events", "query, tail, publish");
  events->require_subcommand(1);
  query_flags qf;
  auto* q = events->add_subcommand("query", "one page (or --all) of events");
  q->add_option("--name", qf.name, "name pattern (* and >)");
  q->add_option("--source", qf.source);
  q->add_option("--tenant", qf.tenant);
  q->add_option("--user", qf.user);
  q->add_option("--scope", qf.scope, "scope prefix");
  q->add_option("--filter", qf.filter, "content filter JSON");
  q->add_option("--since", qf.since, "RFC 3339, inclusive");
  q->add_option("--until", qf.until, "RFC 3339, exclusive");
  q->add_option("--after", qf.after, "cursor from a previous page");
  q->add_option("--limit", qf.limit, "events per page (1..1000)");
  q->add_flag("--desc", qf.desc, "newest first");
  q->add_flag("--all", qf.all, "every page (progress on stderr)");
  on(q, [&] { return events_query(c, qf); });
  std::string pub_body, pub_file, pub_name, pub_data, pub_source;
  auto* p = events->add_subcommand("publish", "publish events (acked once "
                                              "durable)");
  p->add_option("body", pub_body, "JSON event or array");
  p->add_option("--file", pub_file, "read the body from FILE (- = stdin)");
  p->add_option("--name", pub_name, "publish one event of this name");
  p->add_option("--data", pub_data, "its data (JSON)");
  p->add_option("--source", pub_source, "its source");
  on(p, [&] {
    return events_publish(c, pub_body, pub_file, pub_name, pub_data,
                          pub_source);
  });
  client::subscribe_options so;
  std::string tail_name, tail_filter, tail_scope;
  uint64_t tail_from = 0;
  size_t tail_count = 0;
  int tail_for = 0;
  auto* t = events->add_subcommand("tail", "follow new events (Ctrl-C ends)");
  t->add_option("--name", tail_name, "name pattern");
  t->add_option("--scope", tail_scope);
  t->add_option("--filter", tail_filter, "content filter JSON");
  t->add_option("--from-seq", tail_from, "replay stored events from this seq");
  t->add_option("--count", tail_count, "exit after N events");
  t->add_option("--for", tail_for, "exit after N seconds");
  on(t, [&] {
    if (!tail_name.empty())
      so.name = tail_name;
    if (!tail_scope.empty())
      so.scope = tail_scope;
    if (!tail_filter.empty())
      so.filter = tail_filter;
    if (tail_from > 0)
      so.from_seq = tail_from;
    return events_tail(c, so, tail_count, tail_for);
  });

  // triggers, workflows, tasks (HTTP)
  std::string id, body;
  int preview_n = 10;
  auto* trg = app.add_subcommand("triggers", "list, show, enable, disable, "
                                             "fire, preview");
  trg->require_subcommand(1);
  on(trg->add_subcommand("list", "every trigger"), [&] {
    return http_list(c, "/api/v1/triggers", "triggers",
                     {{"id", "id"},
                      {"type", "type"},
                      {"workflow", "workflow"},
                      {"enabled", "enabled"},
                      {"version", "version"}});
  });
  for (auto verb : {"show", "enable", "disable", "fire", "preview"}) {
    auto* s = trg->add_subcommand(verb, std::string{verb} + " a trigger");
    id_of(s, id, "trigger id");
    std::string v = verb;
    if (v == "preview")
      s->add_option("-n", preview_n, "instants (1..1000)");
    on(s, [&, v] {
      auto path = "/api/v1/triggers/" + runtime::percent_encode(id);
      if (v == "show")
        return http_call(c, "GET", path);
      if (v == "preview")
        return http_call(c, "GET",
                         path + "/preview?n=" + std::to_string(preview_n));
      return http_call(c, "POST", path + "/" + v, "{}");
    });
  }
  auto* wf = app.add_subcommand("workflows", "list, show, run");
  wf->require_subcommand(1);
  on(wf->add_subcommand("list", "every workflow"), [&] {
    return http_list(c, "/api/v1/workflows", "workflows",
                     {{"id", "id"},
                      {"name", "name"},
                      {"origin", "origin"},
                      {"version", "version"},
                      {"valid", "valid"}});
  });
  auto* wshow = wf->add_subcommand("show", "one workflow");
  id_of(wshow, id, "workflow id");
  on(wshow, [&] {
    return http_call(c, "GET",
                     "/api/v1/workflows/" + runtime::percent_encode(id));
  });
  auto* wrun = wf->add_subcommand("run", "start a task");
  id_of(wrun, id, "workflow id");
  wrun->add_option("--input", body, "input JSON (default {})");
  on(wrun, [&] {
    return http_call(
        c, "POST", "/api/v1/workflows/" + runtime::percent_encode(id) + "/run",
        body.empty() ? "{}" : body);
  });
  auto* tasks = app.add_subcommand("tasks", "list, show, cancel");
  tasks->require_subcommand(1);
  on(tasks->add_subcommand("list", "recent tasks"), [&] {
    return http_list(c, "/api/v1/tasks", "tasks",
                     {{"id", "id"},
                      {"workflow_id", "workflow"},
                      {"state", "state"},
                      {"started", "started"},
                      {"ended", "ended"}});
  });
  auto* tshow = tasks->add_subcommand("show", "one task");
  id_of(tshow, id, "task id");
  on(tshow, [&] {
    return http_call(c, "GET", "/api/v1/tasks/" + runtime::percent_encode(id));
  });
  auto* tcancel = tasks->add_subcommand("cancel", "cancel a running task");
  id_of(tcancel, id, "task id");
  on(tcancel, [&] {
    return http_call(c, "POST",
                     "/api/v1/tasks/" + runtime::percent_encode(id) + "/cancel",
                     "{}");
  });

  on(app.add_subcommand("listeners", "connected listeners"), [&] {
    return http_list(c, "/api/v1/listeners", "listeners",
                     {{"id", "id"},
                      {"handles", "handles"},
                      {"ip", "ip"},
                      {"connected", "connected"},
                      {"pending", "pending"}});
  });

  // subscriptions and dead letters
  auto* subs = app.add_subcommand("subscriptions", "list, show, pause, resume");
  subs->require_subcommand(1);
  on(subs->add_subcommand("list", "every subscription"), [&] {
    return http_list(c, "/api/v1/subscriptions", "subscriptions",
                     {{"id", "id"},
                      {"topic", "topic"},
                      {"state", "state"},
                      {"cursor_seq", "cursor"},
                      {"enabled", "enabled"}});
  });
  for (auto verb : {"show", "pause", "resume"}) {
    auto* s = subs->add_subcommand(verb, std::string{verb} + " a subscription");
    id_of(s, id, "subscription id");
    std::string v = verb;
    on(s, [&, v] {
      auto path = "/api/v1/subscriptions/" + runtime::percent_encode(id);
      return v == "show" ? http_call(c, "GET", path)
                         : http_call(c, "POST", path + "/" + v, "{}");
    });
  }
  auto* dlq = app.add_subcommand("dlq", "a subscription's dead letters");
  dlq->require_subcommand(1);
  auto* dlist = dlq->add_subcommand("list", "dead letters");
  id_of(dlist, id, "subscription id");
  on(dlist, [&] {
    return http_list(c,
                     "/api/v1/subscriptions/" + runtime::percent_encode(id) +
                         "/dead-letters",
                     "dead_letters",
                     {{"event_id", "event"},
                      {"seq", "seq"},
                      {"attempts", "attempts"},
                      {"last_attempt", "last attempt"},
                      {"last_error", "last error"}},
                     [](const json& row) {
                       json out = row;
                       if (row.contains("event") && row["event"].is_object()) {
                         out["event_id"] = row["event"].value("id", "");
                         out["seq"] = row["event"].value("seq", json());
                       }
                       return out;
                     });
  });
  std::vector<std::string> redrive_ids;
  auto* dredrive = dlq->add_subcommand("redrive", "deliver dead letters again");
  id_of(dredrive, id, "subscription id");
  dredrive->add_option("--ids", redrive_ids, "only these event ids");
  on(dredrive, [&] {
    json b = json::object();
    if (!redrive_ids.empty())
      b["ids"] = redrive_ids;
    return http_call(c, "POST",
                     "/api/v1/subscriptions/" + runtime::percent_encode(id) +
                         "/dead-letters/redrive",
                     b.dump());
  });

  // config
  std::string key, value;
  auto* cfg = app.add_subcommand("config", "list, get, set, delete");
  cfg->require_subcommand(1);
  on(cfg->add_subcommand("list", "every key"), [&] { return config_list(c); });
  auto* cget = cfg->add_subcommand("get", "a key's value (over CAF)");
  cget->add_option("key", key)->required();
  on(cget, [&] { return config_get(c, key); });
  auto* cset = cfg->add_subcommand("set", "set a key to a JSON value");
  cset->add_option("key", key)->required();
  cset->add_option("value", value, "JSON document")->required();
  on(cset, [&] {
    if (json::parse(value, nullptr, false).is_discarded())
      return usage("config set takes a JSON value, got '" + value +
                   "' (quote strings: '\"text\"')");
    return http_call(c, "PUT", "/api/v1/config/" + runtime::percent_encode(key),
                     value);
  });
  auto* cdel = cfg->add_subcommand("delete", "delete a key");
  cdel->add_option("key", key)->required();
  on(cdel, [&] {
    return http_call(c, "DELETE",
                     "/api/v1/config/" + runtime::percent_encode(key));
  });

  on(app.add_subcommand("users", "users (admin)"), [&] {
    return http_list(
        c, "/api/v1/users", "users",
        {{"name", "name"}, {"roles", "roles"}, {"groups", "groups"}});
  });
  on(app.add_subcommand("tokens", "service tokens (admin)"), [&] {
    return http_list(c, "/api/v1/tokens", "tokens",
                     {{"id", "id"},
                      {"name", "name"},
                      {"roles", "roles"},
                      {"created", "created"}});
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }
  if (auto rc = resolve(c))
    return *rc;
  if (!action)
    return usage("no command given");
  return action();
}

} // namespace herald::heraldctl

int main(int argc, char** argv) {
  return herald::heraldctl::run(argc, argv);
}
