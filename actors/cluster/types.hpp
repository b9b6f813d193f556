#pragma once

// The values herald::cluster's interfaces carry: members, a view of the
// membership, an ownership answer and an owner's progress. Each has an
// inspect() overload (CAF 0.17 style), so it can cross the node port when
// the etcd coordinator and the BASP peer link arrive (issue 12); nothing
// here may hold a pointer, an actor handle or other local-only state.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace herald::cluster {

/// One node of the cluster as the coordinator knows it (DESIGN §6: the
/// member key `/herald/<cluster>/members/<node-id>` holds the addresses).
struct member {
  std::string id;           ///< the node id (`--node-id`)
  std::string caf_address;  ///< "host:port" of the CAF node port (BASP)
  std::string http_address; ///< "host:port" of the HTTP API

  friend bool operator==(const member&, const member&) = default;
};

/// The live members as one coordinator saw them at one moment.
struct membership {
  /// Grows by one with every change this coordinator observed; local to
  /// this node (two nodes may number the same set differently). Lets a
  /// holder of an ownership answer tell whether it is still current.
  uint64_t view = 0;
  /// Sorted by id, ids unique. A view without this node means this node
  /// owns nothing (it left, or its lease may have lapsed).
  std::vector<member> members;

  friend bool operator==(const membership&, const membership&) = default;
};

/// Whether `id` is one of `m`'s members.
inline bool contains(const membership& m, std::string_view id) {
  return std::any_of(m.members.begin(), m.members.end(),
                     [&](const member& x) { return x.id == id; });
}

/// Who owns one object (a schedule trigger, a subscription) in one view.
struct ownership {
  /// The owner's member id; empty when no member is live.
  std::string owner;
  /// The owner is this node (and this node is a live member).
  bool local = false;
  /// The membership view the answer was computed in.
  uint64_t view = 0;

  friend bool operator==(const ownership&, const ownership&) = default;
};

/// An owner's progress under an object key (a trigger's last fire, a
/// subscription's cursor): opaque bytes and the revision the coordinator
/// gave them. Revision 0 (with an empty value) means nothing committed
/// yet. Revisions only grow per key; callers pass them back unchanged and
/// assume nothing else about them (the etcd coordinator uses etcd's
/// mod_revision, which skips numbers).
struct progress {
  std::string value;
  uint64_t revision = 0;

  friend bool operator==(const progress&, const progress&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member& x) {
  return f(caf::meta::type_name("herald::cluster::member"), x.id, x.caf_address,
           x.http_address);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, membership& x) {
  return f(caf::meta::type_name("herald::cluster::membership"), x.view,
           x.members);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ownership& x) {
  return f(caf::meta::type_name("herald::cluster::ownership"), x.owner, x.local,
           x.view);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, progress& x) {
  return f(caf::meta::type_name("herald::cluster::progress"), x.value,
           x.revision);
}

} // namespace herald::cluster
