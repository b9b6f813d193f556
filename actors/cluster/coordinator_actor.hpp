#pragma once

// The coordinator (DESIGN §6): who the members are, who owns object X, and
// the fenced commit of an owner's progress (a trigger's fire, a
// subscription's cursor). Workflows and delivery speak only this interface;
// which implementation answers is the node's wiring:
//
// - in-process (local_coordinator.hpp): a cluster of one. This node is the
//   only member and owns every key; the fence is a compare-and-set on the
//   store (event_store::commit_progress).
// - etcd (issue 12): members are the keys under /herald/<cluster>/members
//   on 2 s leases, ownership is rendezvous hashing over them
//   (membership_table), and a commit is an etcd transaction that compares
//   the key's mod_revision and this node's member key create_revision.
//
// How an owner uses it:
//
//   watch ─▶ view ─▶ owner(key).local? ─no─▶ leave the object alone
//                          │yes
//                          ▼
//   progress(key) ─▶ (value, rev) ─▶ decide the next step
//                          ▼
//   commit(key, rev, next) ──ok(rev')──▶ act (fire, deliver), continue
//             └─fenced─▶ stop the object;  conflict─▶ read progress again
//
// Commit first, act after: a commit that succeeded is the one decision
// among all owners past and present, so a stale owner (partitioned,
// paused, lease lapsed) can never fire or deliver the same step twice.
// Any view message may take ownership away: a watcher re-checks its keys.

#include <cstdint>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/cluster/errc.hpp"
#include "actors/cluster/type_ids.hpp"
#include "actors/cluster/types.hpp"

namespace herald::cluster {

/// What watches the membership (an owner of objects, the peer link).
///
/// - `(view_atom, membership m) -> void`
///   The live members changed; `m` is the new view (its `view` number is
///   larger than any the watcher got before). Ownership answers of older
///   views may be stale; a view without this node means it owns nothing.
using membership_listener =
    caf::typed_actor<caf::reacts_to<view_atom, membership>>;

/// The coordinator's messages. Every implementation answers all of them;
/// errors are caf::error values (cluster::errc unless noted), never
/// exceptions.
///
/// - `(members_atom) -> membership`
///   The current view: live members sorted by id.
///
/// - `(self_atom) -> member`
///   This node: its id and addresses (also while it is not live).
///
/// - `(owner_atom, std::string key) -> ownership`
///   The member that owns object `key` in the current view (rendezvous
///   hashing; in-process: this node). `local` says whether that is this
///   node; an empty owner means no member is live. Cheap, answered from
///   memory; errc::unavailable only before the first view is known.
///
/// - `(watch_atom, membership_listener l) -> membership`
///   Subscribes `l` and answers the current view; afterwards `l` gets
///   `(view_atom, membership)` after every change, in view order. Watching
///   twice is one subscription. The coordinator monitors `l` and forgets it
///   when it terminates.
///
/// - `(unwatch_atom, membership_listener l) -> void`
///   Ends `l`'s subscription (no view message is sent after this one is
///   handled).
///
/// - `(progress_atom, std::string key) -> progress`
///   The last committed progress of `key` (revision 0, empty value: none
///   yet). Anyone may read, owner or not; a new owner reads its
///   predecessor's progress here. Errors: errc::unavailable, storage
///   errors (in-process).
///
/// - `(commit_atom, std::string key, uint64_t expected_revision,
///    std::string value) -> uint64_t`
///   Fenced compare-and-set: stores `value` as `key`'s progress and answers
///   its new revision if, atomically, this node is a live member that owns
///   `key` and the stored revision is `expected_revision` (0: none
///   stored). Of concurrent commits with one expected revision at most one
///   succeeds, on every implementation. Errors, nothing written:
///   errc::fenced (not the owner, or not live), errc::conflict (the
///   revision moved; read again), errc::unavailable (etcd unreachable or
///   the deadline passed: the outcome is unknown only in that case, so
///   read the progress before retrying), runtime::errc::invalid_field for
///   an empty key, storage errors (in-process).
///
/// - `(leave_atom) -> membership`
///   This node leaves the membership (shutdown): every watcher gets a view
///   without it, commits answer errc::fenced from now on, reads still
///   work; the etcd coordinator also revokes its lease so others take over
///   at once. Answers the view after leaving. Leaving twice is a no-op.
using coordinator_actor = caf::typed_actor<
    caf::replies_to<members_atom>::with<membership>,
    caf::replies_to<self_atom>::with<member>,
    caf::replies_to<owner_atom, std::string>::with<ownership>,
    caf::replies_to<watch_atom, membership_listener>::with<membership>,
    caf::reacts_to<unwatch_atom, membership_listener>,
    caf::replies_to<progress_atom, std::string>::with<progress>,
    caf::replies_to<commit_atom, std::string, uint64_t,
                    std::string>::with<uint64_t>,
    caf::replies_to<leave_atom>::with<membership>>;

} // namespace herald::cluster
