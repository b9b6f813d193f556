#include "tools/heraldd/daemon.hpp"

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/automation/flow_actor.hpp"
#include "actors/automation/http_call.hpp"
#include "actors/automation/listener_hub.hpp"
#include "actors/cluster/basp_link.hpp"
#include "actors/cluster/etcd_coordinator.hpp"
#include "actors/cluster/etcd_definitions.hpp"
#include "actors/cluster/local_coordinator.hpp"
#include "actors/cluster/type_ids.hpp"
#include "actors/definition_actor.hpp"
#include "actors/delivery/delivery_actor.hpp"
#include "actors/node.hpp"
#include "actors/node_tracker_actor.hpp"
#include "actors/protocol/node_tls.hpp"
#include "actors/protocol/type_ids.hpp"
#include "actors/session_actor.hpp"
#include "runtime/auth.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/flow/subscription_progress.hpp"
#include "runtime/time_format.hpp"
#include "runtime/uuid.hpp"
#include "storage/event_store.hpp"
#include "tools/api/node_api.hpp"
#include "tools/http/http_server.hpp"
#include "tools/http/static_files.hpp"

namespace herald::heraldd {

namespace net = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr auto drain_bound = std::chrono::seconds{10};

/// The sessions handed to clients, so shutdown can end those whose client is
/// still connected (the system's destructor waits for every actor).
/// Thread-safe: logins run on the link's thread, end_all() on main's.
class client_sessions {
public:
  /// The node's actors, once they run (logins before are unavailable).
  void set_node(actors::node_handles node) {
    std::lock_guard<std::mutex> guard{mx_};
    node_ = std::move(node);
  }

  std::optional<actors::node_handles> node() {
    std::lock_guard<std::mutex> guard{mx_};
    return node_;
  }

  /// Keeps `session` while `owner` (the client's actor, a proxy on this
  /// node) lives: when the client goes away without closing — its process
  /// dies, its connection drops — CAF reports the proxy down and the
  /// session ends with it, so a dead client holds no subscription, queue
  /// group membership or memory here. The watcher is held here: an actor
  /// nobody references ends at once (CAF: unreachable), monitors or not.
  void add(caf::actor_system& sys, const caf::actor& session,
           const caf::actor& owner) {
    caf::actor watcher;
    if (owner)
      watcher = sys.spawn([s = session.address(), owner](
                              caf::event_based_actor* self) -> caf::behavior {
        self->monitor(owner);
        if (auto live = caf::actor_cast<caf::actor>(s))
          self->monitor(live);
        self->set_down_handler([self, s](caf::down_msg& dm) {
          if (dm.source != s)
            if (auto live = caf::actor_cast<caf::actor>(s))
              caf::anon_send_exit(live, caf::exit_reason::user_shutdown);
          self->quit();
        });
        return {[](const std::string&) {}}; // nothing but the monitors
      });
    std::lock_guard<std::mutex> guard{mx_};
    forget_ended();
    live_.push_back({session.address(), std::move(watcher)});
  }

  /// Sessions that have not ended (herald_client_sessions).
  size_t live() {
    std::lock_guard<std::mutex> guard{mx_};
    forget_ended();
    return live_.size();
  }

  void end_all() {
    std::lock_guard<std::mutex> guard{mx_};
    for (auto& x : live_) {
      if (auto s = caf::actor_cast<caf::actor>(x.session))
        caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
      if (x.watcher)
        caf::anon_send_exit(x.watcher, caf::exit_reason::user_shutdown);
    }
    live_.clear();
  }

private:
  /// Forgets sessions that ended, so the list is as long as the live ones.
  void forget_ended() {
    std::erase_if(live_, [](const entry& x) {
      return !caf::actor_cast<caf::actor>(x.session);
    });
  }

  struct entry {
    caf::actor_addr session; ///< weak: ends when the session does
    caf::actor watcher;      ///< its owner's watcher (none: no owner given)
  };

  std::mutex mx_;
  std::optional<actors::node_handles> node_;
  std::vector<entry> live_;
};

/// Writes `text` to `path` atomically: a temp file, fsync, rename, fsync of
/// the directory. Readers see the old file or the whole new one.
bool write_file_atomically(const fs::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return false;
  bool ok = ::write(fd, text.data(), text.size()) ==
                static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    return false;
  int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

/// The node id: the flag, else the one persisted in the store, else a new
/// one (persisted). A flag different from the stored id replaces it.
caf::expected<std::string> resolve_node_id(storage::event_store& store,
                                           const std::string& flag) {
  auto stored = store.get_meta("node_id");
  if (!stored)
    return std::move(stored.error());
  if (!flag.empty()) {
    if (*stored && **stored != flag)
      spdlog::warn("node id changes from '{}' to '{}' (--node-id)", **stored,
                   flag);
    if (!*stored || **stored != flag)
      if (auto err = store.put_meta("node_id", flag))
        return err;
    return flag;
  }
  if (*stored)
    return **stored;
  auto id = "n-" + runtime::new_uuid_v7(runtime::now_unix_ns()).substr(24);
  if (auto err = store.put_meta("node_id", id))
    return err;
  return id;
}

/// Where the console's files are (daemon_config::console_dir); "" for none.
std::string console_dir_of(const daemon_config& cfg) {
  if (cfg.console_dir == "none")
    return {};
  if (!cfg.console_dir.empty())
    return cfg.console_dir;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed =
        exe.parent_path().parent_path() / "share" / "herald" / "console";
    if (fs::is_directory(installed, ec))
      return installed.string();
  }
#ifdef HERALD_CONSOLE_SOURCE_DIR
  if (fs::is_directory(HERALD_CONSOLE_SOURCE_DIR, ec))
    return HERALD_CONSOLE_SOURCE_DIR;
#endif
  return {};
}

/// The API's settings from the flags.
api::api_options api_options_of(const daemon_config& cfg) {
  api::api_options opts;
  opts.max_batch = cfg.max_batch;
  opts.max_event_bytes = cfg.max_event_bytes;
  opts.stream_buffer_events = cfg.stream_buffer_events;
  opts.stream_buffer_bytes = cfg.stream_buffer_bytes;
  opts.stream_idle_timeout = std::chrono::seconds{cfg.stream_idle_timeout_s};
  opts.max_streams_per_caller = cfg.max_streams_per_caller;
  if (auto dir = console_dir_of(cfg); !dir.empty()) {
    auto files = http::static_files::load(dir);
    if (files) {
      spdlog::info("console: {} files from {}", files->size(), dir);
      opts.console_files =
          std::make_shared<const http::static_files>(std::move(*files));
    } else {
      // The API runs without it: an operator's tool, not the node's job.
      spdlog::warn("console: not served: {}",
                   runtime::describe(files.error()).message);
    }
  }
  return opts;
}

std::string signal_name(int sig) {
  switch (sig) {
  case SIGINT:
    return "SIGINT";
  case SIGTERM:
    return "SIGTERM";
  default:
    return "signal " + std::to_string(sig);
  }
}

} // namespace

int run_daemon(const daemon_config& cfg) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("heraldd"));
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  std::signal(SIGPIPE, SIG_IGN);

  std::error_code fs_ec;
  const bool created = fs::create_directories(cfg.data_dir, fs_ec);
  if (fs_ec) {
    spdlog::error("cannot create data dir {}: {}", cfg.data_dir.string(),
                  fs_ec.message());
    return 1;
  }
  // The audit trail, password hashes and the signing key live here: a data
  // dir the node creates is its owner's alone (an existing one is left as
  // the operator set it up).
  if (created)
    fs::permissions(cfg.data_dir, fs::perms::owner_all, fs_ec);
  auto data_dir = fs::absolute(cfg.data_dir);

  // Storage first: recovery from the WAL happens here.
  storage::store_options sopts;
  sopts.dir = data_dir / "store";
  sopts.sync = cfg.durability_sync;
  auto opened = storage::event_store::open(sopts);
  if (!opened) {
    spdlog::error("cannot open the store in {}: {}", sopts.dir.string(),
                  runtime::describe(opened.error()).message);
    return 1;
  }
  std::shared_ptr<storage::event_store> store = std::move(*opened);
  if (!cfg.durability_sync)
    spdlog::warn("--durability=async: publishes are acknowledged before "
                 "fsync; an OS crash or power loss can lose acknowledged "
                 "events");
  auto node_id = resolve_node_id(*store, cfg.node_id);
  if (!node_id) {
    spdlog::error("cannot read or store the node id: {}",
                  runtime::describe(node_id.error()).message);
    return 1;
  }
  spdlog::info("node {} recovered {} events from {}", *node_id,
               store->last_seq(), sopts.dir.string());

  api::auth_options aopts;
  aopts.data_dir = data_dir;
  aopts.users_file = cfg.users_file;
  aopts.token_ttl = std::chrono::seconds{cfg.token_ttl_s};
  // A cluster (DESIGN §6): definitions, the JWT signing key and the node
  // port's secret are the cluster's, kept in etcd; the first node's become
  // them.
  std::optional<cluster::etcd_definitions_options> cluster_opts;
  std::string node_secret;
  if (!cfg.etcd.empty()) {
    cluster_opts = cluster::etcd_definitions_options{};
    cluster_opts->cluster = cfg.cluster;
    cluster_opts->endpoints = cfg.etcd;
    cluster_opts->self = *node_id;
    auto local_key = runtime::auth::load_or_create_key(data_dir / "jwt.key");
    if (!local_key) {
      spdlog::error("{}", runtime::describe(local_key.error()).message);
      return 2;
    }
    auto key =
        cluster::shared_cluster_value(*cluster_opts, "jwt-key", *local_key);
    auto secret = cluster::shared_cluster_value(
        *cluster_opts, "node-secret", runtime::auth::random_token(32));
    if (!key || !secret) {
      spdlog::error(
          "cluster {}: etcd ({}) does not answer: {}", cfg.cluster,
          cfg.etcd.front(),
          runtime::describe(key ? secret.error() : key.error()).message);
      return 1;
    }
    aopts.signing_key = std::move(*key);
    node_secret = std::move(*secret);
    if (!cfg.cluster_secret_file.empty()) {
      std::ifstream in{cfg.cluster_secret_file};
      std::string line;
      if (!in || !std::getline(in, line) || line.empty()) {
        spdlog::error("cannot read the cluster secret from {}",
                      cfg.cluster_secret_file);
        return 2;
      }
      node_secret = line;
    }
  }
  auto auth_failed = [](const caf::error& e) {
    // The field names the entry at fault ("/users/1/roles/0").
    const auto err = runtime::describe(e);
    spdlog::error("auth: {}{}", err.message,
                  err.field.empty() ? "" : " (at " + err.field + ")");
    return 2;
  };
  auto auth = api::auth_service::open(aopts);
  if (!auth)
    return auth_failed(auth.error());

  int exit_code = 0;
  {
    caf::actor_system_config caf_cfg;
    caf_cfg.set("scheduler.max-threads",
                static_cast<size_t>(cfg.scheduler_threads));
    caf_cfg.load<caf::io::middleman>();
    // TLS on the node port: CAF's OpenSSL module with the checked files
    // (daemon_config). Only what goes through it is TLS: the node port is
    // published and peers are dialled through it alone, below.
    const bool node_tls = cfg.node_tls.enabled();
    if (node_tls)
      protocol::configure(caf_cfg, cfg.node_tls);
    // Every type that may cross the node port, by name (CAF 0.17).
    protocol::add_message_types(caf_cfg);
    cluster::add_message_types(caf_cfg);
    caf::actor_system sys{caf_cfg};

    actors::node_options nopts;
    nopts.node_id = *node_id;
    // The peer link (DESIGN §6): published on the node port below; the
    // registry is its endpoint, so streams get other nodes' events.
    cluster::basp_link_options lopts;
    lopts.self = *node_id;
    lopts.tls = node_tls;
    lopts.secret =
        node_secret.empty() ? runtime::auth::random_token(32) : node_secret;
    // Client logins (tools/client, heraldctl) come through the same port:
    // the credential is resolved once, here, and the answer is a session
    // bound to its identity (DESIGN §6 "Remote actor clients").
    auto sessions = std::make_shared<client_sessions>();
    lopts.login = [&sys, sessions, auth = *auth](
                      const std::string& credential,
                      const caf::actor& owner) -> caf::expected<caf::actor> {
      auto node = sessions->node();
      if (!node)
        return caf::make_error(cluster::errc::unavailable,
                               "the node is starting");
      // As the HTTP API resolves a bearer credential (node_api).
      auto who =
          auth->resolve(credential, runtime::now_unix_ns() / 1'000'000'000);
      if (!who)
        return std::move(who.error());
      auto session = caf::actor_cast<caf::actor>(actors::spawn_session(
          sys, *node, node->definitions, std::move(who->who)));
      sessions->add(sys, session, owner);
      return session;
    };
    auto link = cluster::spawn_basp_link(sys, lopts);
    // Stopped on every way out of this block, before the actor system.
    struct exit_at_scope_end {
      caf::actor actor;
      ~exit_at_scope_end() {
        caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
      }
    } link_guard{caf::actor_cast<caf::actor>(link)};
    nopts.peer_link = link;
    nopts.retention = cfg.retention;
    nopts.retention_tuning.interval = cfg.retention_interval;
    // Retention holds what enabled subscriptions have not delivered; the
    // size budget may still force it out, then it becomes a dead letter.
    auto delivery_metrics = std::make_shared<delivery::delivery_metrics>();
    nopts.retention_tuning.hold = [delivery_metrics] {
      return delivery_metrics->hold_seq();
    };
    nopts.retention_tuning.on_forced =
        [delivery_metrics](std::vector<v1::Event> evs) {
          delivery_metrics->expired(std::move(evs));
        };
    auto handles = actors::spawn_node(sys, store, nopts);
    // The definition actor loads auth_service (its view: stored users and
    // tokens, then the users file); on the first start the admin token is
    // committed through it.
    auto followers = std::make_shared<actors::definition_followers>();
    actors::definitions_options dopts;
    dopts.cluster = cluster_opts;
    dopts.followers = followers;
    auto defs = actors::spawn_definitions(sys, store, handles.writer, {*auth},
                                          std::move(dopts));
    if (!defs) {
      actors::stop_node(sys, handles);
      return auth_failed(defs.error());
    }
    handles.definitions = *defs;
    if (auto err = (*auth)->ensure_admin_token(sys, handles.definitions)) {
      actors::stop_node(sys, handles);
      return auth_failed(err);
    }
    sessions->set_node(handles);
    if ((*auth)->created_admin_token())
      spdlog::info("first start: the admin token is in {} (mode 0600); send "
                   "it as 'Authorization: Bearer <token>'",
                   (data_dir / "admin.token").string());

    net::io_context ioc{static_cast<int>(cfg.http_threads)};
    api::node_api api{sys, handles, api_options_of(cfg), *auth};
    http::http_limits limits;
    limits.max_body_bytes = cfg.max_body_bytes;
    limits.idle_timeout_s = cfg.http_idle_timeout_s;
    auto server = std::make_shared<http::http_server>(ioc, api, limits);
    auto http_port = server->listen(cfg.http);
    if (!http_port) {
      spdlog::error("{}", runtime::describe(http_port.error()).message);
      actors::stop_node(sys, handles);
      return 1;
    }

    // The CAF node port: the peer link is what is published there; a peer
    // is heard only after a hello with the cluster's secret. With TLS,
    // only through CAF's OpenSSL module: a plain-TCP peer or client, or
    // one whose certificate the CA did not sign, fails the TLS handshake
    // before BASP (docs/SECURITY.md).
    auto node_port = node_tls
                         ? caf::openssl::publish(link, cfg.node_port,
                                                 cfg.node_host.c_str(), true)
                         : sys.middleman().publish(link, cfg.node_port,
                                                   cfg.node_host.c_str(), true);
    if (!node_port) {
      spdlog::error("cannot open the node port {}:{}: {}", cfg.node_host,
                    cfg.node_port, caf::to_string(node_port.error()));
      actors::stop_node(sys, handles);
      return 1;
    }
    if (node_tls)
      spdlog::info("node port {}:{}: TLS, peers and clients verified "
                   "against {}",
                   cfg.node_host, *node_port, cfg.node_tls.ca_file);
    else if (!is_loopback_host(cfg.node_host))
      spdlog::warn("node port {}:{} is not on loopback and has no TLS: the "
                   "cluster secret, client credentials and events cross the "
                   "network in clear text (--node-tls-cert, --node-tls-key, "
                   "--node-tls-ca; docs/SECURITY.md)",
                   cfg.node_host, *node_port);

    // Workflows, triggers and runs (DESIGN §5) and deliveries (§4): each
    // fire and cursor is committed through the coordinator. Alone, it is
    // in-process (this node owns everything); in a cluster, etcd's.
    const std::string advertised_host =
        cfg.http.host == "0.0.0.0" ? std::string{"127.0.0.1"} : cfg.http.host;
    cluster::member self_member{
        *node_id,
        (cfg.node_host == "0.0.0.0" ? std::string{"127.0.0.1"}
                                    : cfg.node_host) +
            ":" + std::to_string(*node_port),
        advertised_host + ":" + std::to_string(*http_port)};
    cluster::coordinator_actor coordinator;
    if (cluster_opts) {
      cluster::etcd_coordinator_options copts;
      copts.cluster = cfg.cluster;
      copts.endpoints = cfg.etcd;
      copts.self = self_member;
      auto joined = cluster::spawn_etcd_coordinator(sys, copts);
      if (!joined) {
        spdlog::error("cluster {}: cannot join through etcd: {}", cfg.cluster,
                      runtime::describe(joined.error()).message);
        actors::stop_node(sys, handles);
        return 1;
      }
      coordinator = *joined;
      spdlog::info("cluster {}: joined as {} (node port {}, http {})",
                   cfg.cluster, *node_id, self_member.caf_address,
                   self_member.http_address);
    } else {
      coordinator = cluster::spawn_local_coordinator(
          sys, store, cluster::local_coordinator_options{self_member});
    }
    // The link dials the members the coordinator reports.
    caf::anon_send(coordinator, cluster::watch_atom_v,
                   caf::actor_cast<cluster::membership_listener>(link));
    actors::node_tracker_options topts;
    topts.self = *node_id;
    topts.store = store;
    topts.writer = handles.writer;
    topts.coordinator = coordinator;
    topts.announce = cluster_opts.has_value();
    auto tracker = actors::spawn_node_tracker(sys, std::move(topts));
    api.set_node_tracker(tracker);
    // A node of a cluster answers queries from every live node (DESIGN §6).
    if (cluster_opts)
      api.set_cluster(api::cluster_reads_options{*node_id, tracker,
                                                 cfg.query_fanout_timeout});
    // Listeners (DESIGN §4, §5): the hub writes its events through the
    // node's writer; runs send it their actions.
    auto hub_metrics = std::make_shared<automation::listener_hub_metrics>();
    auto hub = automation::spawn_listener_hub(sys, handles.writer, hub_metrics);
    auto flow_metrics = std::make_shared<automation::flow_metrics>();
    automation::flow_options fopts;
    fopts.workflows_dir = cfg.workflows_dir;
    fopts.max_ended_tasks = cfg.tasks_kept;
    fopts.metrics = flow_metrics;
    auto flow = automation::spawn_flow(
        sys,
        automation::flow_deps{handles.writer, handles.registry,
                              handles.definitions, coordinator, hub},
        fopts);
    // Delivery (DESIGN §4): one curl multi pool for every subscription;
    // cursors are committed through the same coordinator.
    delivery::http_pool_options popts;
    popts.threads = cfg.delivery_threads;
    auto pool = std::make_shared<delivery::http_pool>(popts);
    delivery::subscription_env denv;
    denv.writer = handles.writer;
    denv.registry = handles.registry;
    denv.readers = handles.readers;
    denv.coordinator = coordinator;
    denv.store = store;
    denv.pool = pool;
    denv.read_events = cfg.delivery_read_ahead;
    denv.batch_events = std::min(cfg.delivery_batch, cfg.delivery_read_ahead);
    denv.resolve = [auth = *auth](const std::string& name) {
      return auth->principal(name);
    };
    auto deliveries = delivery::spawn_delivery(
        sys, denv,
        delivery::delivery_options{*node_id, !cfg.etcd.empty(),
                                   delivery_metrics});
    if (!deliveries) {
      spdlog::error("cannot load subscriptions: {}",
                    runtime::describe(deliveries.error()).message);
      caf::anon_send_exit(flow, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(tracker, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
      actors::stop_node(sys, handles);
      return 1;
    }
    // Changes other nodes made (and this node's own, applied after a
    // restart) reach the actors built from definitions; a change accepted
    // here reaches them through the API before its reply.
    followers->add({"workflow/", "trigger/", "trigger-state/"},
                   [flow](const std::string& key,
                          const std::optional<protocol::definition>& now) {
                     caf::anon_send(flow, automation::apply_atom_v, key,
                                    now.has_value(),
                                    now ? now->value : std::string{},
                                    now ? now->version : uint64_t{0});
                   });
    followers->add(
        {"topic/", "subscription/",
         std::string{flow::subscription_state_prefix}},
        [d = *deliveries](const std::string& key,
                          const std::optional<protocol::definition>& now) {
          caf::anon_send(d, delivery::apply_atom_v, key, now.has_value(),
                         now ? now->value : std::string{});
        });
    // Before the writer stops. Runs first (a run cut here resumes after the
    // restart); then the hub, which stores the disconnects of listeners
    // still connected.
    auto stop_automation = [&] {
      caf::anon_send_exit(*deliveries, caf::exit_reason::user_shutdown);
      pool->stop(); // deliveries in flight go again after a restart
      caf::anon_send_exit(flow, caf::exit_reason::user_shutdown);
      automation::abort_http_calls(); // their runs resume (fail) later
      if (!automation::stop_listener_hub(sys, hub, drain_bound))
        spdlog::warn("the listener hub did not stop within the drain bound");
      caf::anon_send_exit(tracker, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
    };

    api.set_automation(api::automation_handles{flow, hub});
    api.set_delivery(
        api::delivery_handles{*deliveries, *node_id, !cfg.etcd.empty()});
    // GET /metrics; sources beyond the built-in ones go into `extra`.
    api::metrics_sources metrics_src;
    metrics_src.writer = handles.metrics;
    metrics_src.streams = handles.streams;
    metrics_src.store = [store] {
      const auto mem = store->memory_usage();
      return api::store_figures{store->approximate_size(), store->last_seq(),
                                mem.table_readers_bytes, mem.block_cache_bytes,
                                mem.memtable_bytes};
    };
    // GET /api/v1/actors (heraldctl actors): each actor with the work
    // queued at it — CAF 0.17 cannot read another actor's mailbox safely,
    // so "depth" is what each one counts itself.
    metrics_src.actors = [node = *node_id, wm = handles.metrics,
                          ss = handles.streams, fm = flow_metrics,
                          hm = hub_metrics, dm = delivery_metrics, sessions,
                          store] {
      using json = nlohmann::json;
      json out = json::array();
      auto row = [&](std::string kind, std::string id, uint64_t depth,
                     json more = json::object()) {
        json r{{"kind", std::move(kind)},
               {"id", std::move(id)},
               {"node", node},
               {"depth", depth}};
        r.update(more);
        out.push_back(std::move(r));
      };
      row("writer", "writer", wm->queued_events.load(),
          {{"unit", "events"}, {"stored", wm->events_stored.load()}});
      const auto streams = ss->snapshot();
      row("streams", "all", streams.buffered,
          {{"unit", "frames"},
           {"open", streams.open},
           {"max_buffered", streams.max_buffered}});
      row("flow", "flow",
          static_cast<uint64_t>(std::max<int64_t>(fm->tasks_running.load(), 0)),
          {{"unit", "running tasks"},
           {"schedule_triggers", fm->schedule_triggers.load()},
           {"event_triggers", fm->event_triggers.load()}});
      row("listener_hub", "hub",
          static_cast<uint64_t>(std::max<int64_t>(hm->actions_out.load(), 0)),
          {{"unit", "actions waiting"}, {"connected", hm->connected.load()}});
      const auto last = store->last_seq();
      for (const auto& r : dm->rows()) {
        const auto c = r.counters->cursor.load();
        row("subscription", r.id, last > c ? last - c : 0,
            {{"unit", "events after the cursor"},
             {"active", r.active},
             {"delivered", r.counters->delivered.load()},
             {"dead_letters", r.counters->dead_letters.load()}});
      }
      row("client_sessions", "all", sessions->live(), {{"unit", "sessions"}});
      return out.dump();
    };
    metrics_src.extra.push_back([sessions](runtime::metrics_text_writer& w) {
      w.gauge("herald_client_sessions",
              "Sessions of remote clients logged in through the node "
              "port (client library, heraldctl).",
              static_cast<double>(sessions->live()));
    });
    metrics_src.extra.push_back([retention = handles.retention_counters](
                                    runtime::metrics_text_writer& out) {
      out.counter("herald_retention_runs_total", "Retention sweeps completed",
                  retention->runs.load());
      out.counter("herald_retention_failed_runs_total",
                  "Retention sweeps that hit a store error",
                  retention->failed_runs.load());
      out.counter("herald_retention_deleted_events_total",
                  "Events removed by retention",
                  retention->events_deleted.load());
      out.counter("herald_retention_deleted_bytes_total",
                  "Serialized bytes of events removed by retention "
                  "(logical; disk shrinks as RocksDB compacts)",
                  retention->bytes_deleted.load());
    });
    metrics_src.extra.push_back([fm = flow_metrics, hm = hub_metrics](
                                    runtime::metrics_text_writer& out) {
      out.gauge("herald_listeners_connected", "Listeners connected now",
                hm->connected.load());
      out.gauge("herald_listener_actions_waiting",
                "perform_action steps waiting for listeners' answers",
                hm->actions_out.load());
      out.gauge("herald_tasks_running", "Workflow runs in progress",
                fm->tasks_running.load());
      out.family("herald_tasks_ended_total", runtime::metric_type::counter,
                 "Workflow runs ended, by final state");
      out.sample("herald_tasks_ended_total", fm->tasks_succeeded.load(),
                 {{"state", "succeeded"}});
      out.sample("herald_tasks_ended_total", fm->tasks_failed.load(),
                 {{"state", "failed"}});
      out.sample("herald_tasks_ended_total", fm->tasks_cancelled.load(),
                 {{"state", "cancelled"}});
      out.counter("herald_trigger_fires_total",
                  "Trigger fires that started a run", fm->fires.load());
      out.counter("herald_trigger_failures_total",
                  "Trigger fires that could not run their workflow (003's "
                  "trigger.*.failed)",
                  fm->fire_failures.load());
      out.counter("herald_triggers_disabled_total",
                  "Triggers disabled by 003's failure rules",
                  fm->triggers_disabled.load());
      out.family("herald_triggers_enabled", runtime::metric_type::gauge,
                 "Enabled triggers, by type");
      out.sample("herald_triggers_enabled",
                 static_cast<uint64_t>(fm->schedule_triggers.load()),
                 {{"type", "schedule"}});
      out.sample("herald_triggers_enabled",
                 static_cast<uint64_t>(fm->event_triggers.load()),
                 {{"type", "event"}});
      out.histogram("herald_trigger_fire_lateness_seconds",
                    "Seconds between a schedule instant and its fire",
                    fm->fire_lateness_seconds.snapshot());
    });
    metrics_src.extra.push_back([dm = delivery_metrics, pool,
                                 store](runtime::metrics_text_writer& out) {
      const auto rows = dm->rows();
      const auto last = store->last_seq();
      out.counter("herald_delivery_requests_total",
                  "Outbound delivery requests sent (every attempt)",
                  pool->requests_sent());
      auto each = [&](std::string_view name, runtime::metric_type type,
                      std::string_view help, auto value) {
        out.family(name, type, help);
        for (const auto& r : rows)
          out.sample(name, value(*r.counters), {{"subscription", r.id}});
      };
      each("herald_subscription_lag_events", runtime::metric_type::gauge,
           "Events stored after the subscription's cursor",
           [last](const delivery::subscription_metrics& m) {
             const auto c = m.cursor.load();
             return last > c ? last - c : uint64_t{0};
           });
      each("herald_subscription_lag_seconds", runtime::metric_type::gauge,
           "Age of the oldest event read and not yet delivered",
           [](const delivery::subscription_metrics& m) {
             const auto t = m.oldest_pending_ns.load();
             return t == 0 ? 0.0
                           : std::max(0.0, static_cast<double>(
                                               runtime::now_unix_ns() - t) /
                                               1e9);
           });
      each("herald_subscription_delivered_total", runtime::metric_type::counter,
           "Events delivered (2xx)",
           [](const delivery::subscription_metrics& m) {
             return m.delivered.load();
           });
      each("herald_subscription_attempts_total", runtime::metric_type::counter,
           "Delivery attempts", [](const delivery::subscription_metrics& m) {
             return m.attempts.load();
           });
      each("herald_subscription_failures_total", runtime::metric_type::counter,
           "Delivery attempts that failed",
           [](const delivery::subscription_metrics& m) {
             return m.failures.load();
           });
      each("herald_subscription_dead_letters_total",
           runtime::metric_type::counter, "Events dead-lettered",
           [](const delivery::subscription_metrics& m) {
             return m.dead_letters.load();
           });
    });
    api.set_metrics_sources(std::move(metrics_src));
    nlohmann::json ports{{"http", *http_port}, {"node", *node_port}};
    if (!write_file_atomically(data_dir / "ports.json", ports.dump() + "\n")) {
      spdlog::error("cannot write {}", (data_dir / "ports.json").string());
      stop_automation();
      actors::stop_node(sys, handles);
      return 1;
    }

    std::promise<std::string> stop_signal;
    auto stop_future = stop_signal.get_future();
    net::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait(
        [&stop_signal](const boost::system::error_code& ec, int sig) {
          if (!ec)
            stop_signal.set_value(signal_name(sig));
        });

    std::vector<std::thread> io_threads;
    for (unsigned i = 0; i < cfg.http_threads; ++i)
      io_threads.emplace_back([&ioc] {
        // Last barrier for asio handlers (sessions have their own): an
        // exception is logged and the thread serves on.
        for (;;) {
          try {
            ioc.run();
            return;
          } catch (const std::exception& e) {
            spdlog::error("http: a handler threw: {}", e.what());
          } catch (...) {
            spdlog::error("http: a handler threw");
          }
        }
      });

    // Workflows and triggers are loaded (tasks cut by a restart resumed)
    // before the node says it is ready.
    {
      caf::scoped_actor waiter{sys};
      waiter->request(flow, std::chrono::seconds{60}, automation::list_atom_v)
          .receive([](const std::string&) {},
                   [](const caf::error& err) {
                     spdlog::warn("workflows did not load in time: {}",
                                  runtime::describe(err).message);
                   });
    }

    // server.ready is durable before /readyz turns 200.
    nlohmann::json ready_data{
        {"node", *node_id},
        {"http", cfg.http.host + ":" + std::to_string(*http_port)},
        {"version", "0.1.0"}};
    std::vector<v1::Event> ready;
    ready.push_back(runtime::make_system_event("server.ready", ready_data,
                                               runtime::now_unix_ns()));
    auto ready_res = actors::publish_sync(sys, handles, std::move(ready),
                                          std::chrono::seconds{30});
    if (ready_res) {
      // Then the triggers start and runs cut by a restart resume (their
      // events follow server.ready).
      caf::scoped_actor starter{sys};
      starter->request(flow, std::chrono::seconds{60}, automation::start_atom_v)
          .receive([](bool) {},
                   [](const caf::error& err) {
                     spdlog::warn("triggers did not start in time: {}",
                                  runtime::describe(err).message);
                   });
      starter
          ->request(*deliveries, std::chrono::seconds{60},
                    delivery::start_atom_v)
          .receive([](bool) {},
                   [](const caf::error& err) {
                     spdlog::warn("subscriptions did not start in time: {}",
                                  runtime::describe(err).message);
                   });
    }
    if (!ready_res) {
      spdlog::error("cannot store server.ready: {}",
                    runtime::describe(ready_res.error()).message);
      exit_code = 1;
    } else {
      api.set_ready(true);
      spdlog::info("herald node {} ready: http://{}:{} node port {} data {}",
                   *node_id, cfg.http.host, *http_port, *node_port,
                   data_dir.string());
      auto reason = stop_future.get();
      spdlog::info("{}: shutting down", reason);
      api.set_draining();
      server->stop_accepting();
      std::vector<v1::Event> bye;
      bye.push_back(runtime::make_system_event(
          "server.shutdown", nlohmann::json{{"reason", reason}},
          runtime::now_unix_ns()));
      auto bye_res =
          actors::publish_sync(sys, handles, std::move(bye), drain_bound);
      if (!bye_res)
        spdlog::warn("cannot store server.shutdown: {}",
                     runtime::describe(bye_res.error()).message);
    }
    if (cluster_opts) {
      // Leave before the work stops: the others take this node's triggers
      // and subscriptions over at once instead of after its lease.
      caf::scoped_actor leaver{sys};
      leaver
          ->request(coordinator, std::chrono::seconds{3}, cluster::leave_atom_v)
          .receive([](const cluster::membership&) {},
                   [](const caf::error& err) {
                     spdlog::warn("cluster: leaving failed: {}",
                                  runtime::describe(err).message);
                   });
    }

    // Drain: streams get a 1001 close, in-flight requests their reply, all
    // within the bound; then the io threads stop.
    api.close_streams();
    if (!api.wait_idle(std::chrono::steady_clock::now() + drain_bound))
      spdlog::warn("drain bound reached with requests still in flight");
    signals.cancel();
    ioc.stop();
    for (auto& t : io_threads)
      t.join();
    stop_automation();
    actors::stop_node(sys, handles);
    sessions->end_all();
    sys.middleman().unpublish(caf::actor_cast<caf::actor>(link), *node_port);
  }
  store.reset();
  spdlog::info("stopped");
  return exit_code;
}

} // namespace herald::heraldd
