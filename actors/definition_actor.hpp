#pragma once

// The definition actor: one per node, the owner of every definition (users,
// tokens, config, sources today; workflows, triggers, topics and
// subscriptions next) behind protocol::definitions_actor
// (actors/protocol/interfaces.hpp, which documents its messages).
//
// Rules it keeps:
// - No change without its event: a change and the system events announcing
//   it are one write, through the writer (so changes are ordered with the
//   publishes around them).
// - Views follow commits: in-memory tables built from definitions (the auth
//   tables) are definition_views. They are loaded once at spawn and updated
//   by the actor after each committed change and before its reply, so a
//   caller that got the reply finds the views already changed. Views are
//   read-only to everyone else.
// - The one place a cluster replicates definitions from (DESIGN §6). With
//   cluster options, definitions other than task records and dead letters
//   ("task/…", "dead-letter/…": written through the writer by the node
//   that runs them, and kept there) are cluster-wide: a change is first
//   committed in etcd (cluster/etcd_definitions.hpp, If-Match against the
//   cluster's revision), then applied by every node from the watch, in
//   revision order, through its writer (replica_version = the revision, so
//   versions are equal everywhere); the accepting node stores the change's
//   events with it and answers once it applied the change itself
//   (read-your-writes on that node). Changes this node did not wait for
//   (other nodes', or its own after a restart) also go to the followers,
//   which keep the actors built from definitions (triggers, subscriptions)
//   in step.
//
//   define ─▶ etcd txn (revision R) ─▶ pending[R]
//   watch ─▶ (R, record) ─▶ writer: change@R (+ events if ours) ─▶ views
//          ─▶ pending[R]? answer it : followers
//
// Threads: reads (get, list, sources) run on the actor's own thread
// (detached) unless inline_io; views are called on that thread too. In a
// cluster, etcd calls block that thread too (each with a deadline).

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/cluster/replicated_definition.hpp"
#include "actors/protocol/interfaces.hpp"
#include "actors/writer_actor.hpp"

namespace herald::storage {
class event_store;
} // namespace herald::storage

namespace herald::actors {

/// An in-memory table derived from the definitions under some key prefixes.
/// Its owner reads it from any thread; only the definition actor writes it.
class definition_view {
public:
  virtual ~definition_view() = default;

  /// The key prefixes this view follows, e.g. {"user/", "token/"}.
  virtual std::vector<std::string> prefixes() const = 0;

  /// Every stored definition under prefixes(), in key order, once at spawn.
  /// An error fails the spawn (a bad stored definition is a startup error).
  virtual caf::error load(const std::vector<protocol::definition>& defs) = 0;

  /// A committed change of `key`: `now` is the definition after it, nullopt
  /// after a delete. On error the view must have dropped `key` (fail
  /// closed: a credential that cannot be read back stops working).
  virtual caf::error apply(const std::string& key,
                           const std::optional<protocol::definition>& now) = 0;
};

using definition_view_ptr = std::shared_ptr<definition_view>;

/// Who else follows definition changes applied from the cluster (the flow
/// and delivery actors, spawned after the definition actor). Thread-safe.
class definition_followers {
public:
  using callback = std::function<void(
      const std::string& key, const std::optional<protocol::definition>& now)>;

  /// `fn` gets every change under one of `prefixes` that this node applied
  /// without a local caller waiting for it (on the definition actor's
  /// thread: keep it short, e.g. a send).
  void add(std::vector<std::string> prefixes, callback fn);
  void notify(const std::string& key,
              const std::optional<protocol::definition>& now) const;

private:
  mutable std::mutex mtx_;
  std::vector<std::pair<std::vector<std::string>, callback>> list_;
};

/// Whether a definition key is cluster-wide (all but task records and dead
/// letters).
bool cluster_wide_definition(const std::string& key);

struct definitions_options {
  bool inline_io = false;
  /// Cluster-wide definitions in etcd; nullopt: this node's alone.
  std::optional<cluster::etcd_definitions_options> cluster;
  std::shared_ptr<definition_followers> followers;
};

/// Loads `views` from `store` (on the calling thread) and spawns the
/// definition actor; changes go through `writer`. Errors: the store's or a
/// view's load error. Stop it with an exit message (stop_node does not
/// know it).
caf::expected<protocol::definitions_actor>
spawn_definitions(caf::actor_system& sys,
                  std::shared_ptr<storage::event_store> store,
                  writer_actor writer, std::vector<definition_view_ptr> views,
                  bool inline_io = false);

/// The same with options. In a cluster it first brings the store in step
/// with etcd (seeding an empty cluster with this node's definitions, then
/// applying every record whose revision differs from the stored version,
/// deleting cluster-wide keys etcd does not hold, storing the events of
/// records this node accepted), then loads the views and follows the watch.
/// Errors: also cluster::errc::unavailable when etcd does not answer.
caf::expected<protocol::definitions_actor>
spawn_definitions(caf::actor_system& sys,
                  std::shared_ptr<storage::event_store> store,
                  writer_actor writer, std::vector<definition_view_ptr> views,
                  definitions_options opts);

} // namespace herald::actors
