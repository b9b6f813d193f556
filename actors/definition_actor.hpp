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
// - The one place a cluster replicates definitions from (DESIGN §6): a
//   remote change will arrive as the same view update.
//
// Threads: reads (get, list, sources) run on the actor's own thread
// (detached) unless inline_io; views are called on that thread too.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

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

/// Loads `views` from `store` (on the calling thread) and spawns the
/// definition actor; changes go through `writer`. Errors: the store's or a
/// view's load error. Stop it with an exit message (stop_node does not
/// know it).
caf::expected<protocol::definitions_actor>
spawn_definitions(caf::actor_system& sys,
                  std::shared_ptr<storage::event_store> store,
                  writer_actor writer, std::vector<definition_view_ptr> views,
                  bool inline_io = false);

} // namespace herald::actors
