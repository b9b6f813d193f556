#pragma once

// A network namespace joined to this one by a veth pair, for tests that cut
// a node off the network and heal it (issue 12). Needs root and iproute2's
// `ip`; `create` says why not otherwise, so the test can skip.
//
//   this namespace                       the namespace NAME
//   hpr<pid> 10.213.A.B+1/30  ◀─veth─▶  hpn<pid> 10.213.A.B+2/30 (and lo)
//
// Names carry the test process's PID and the /30 is picked from 10.213/16
// by it, so parallel test processes do not collide; an earlier run of the
// same PID that left its namespace behind is cleaned first. A process
// started as `launcher() + {binary, args…}` runs in the namespace with the
// binary's own PID (`ip netns exec` execs it in place).
//
// partition() takes the namespace's end of the pair down: packets from
// here to it are dropped (no reset: peers see a silent network), and from
// it nothing leaves (connects fail at once). heal() takes it up again,
// which restores its address's route. This side's address stays usable
// from here throughout, so etcd and nodes bound to it keep working.
//
// The destructor deletes the namespace (which destroys the pair) and the
// pair by its name, whatever state they are in, also after a failure.
// Not thread-safe.

#include <memory>
#include <string>
#include <vector>

namespace herald::test {

class network_namespace {
public:
  /// Creates the namespace and the pair, both ends up with their addresses.
  /// Null, with the reason in `why`, when that is not permitted here (not
  /// root, no `ip`, no namespaces in this container) or fails.
  static std::unique_ptr<network_namespace> create(std::string& why);

  ~network_namespace();
  network_namespace(const network_namespace&) = delete;
  network_namespace& operator=(const network_namespace&) = delete;

  /// The namespace's name.
  const std::string& name() const noexcept { return name_; }
  /// This side's address (bind etcd and the other nodes to it).
  const std::string& outer_address() const noexcept { return outer_addr_; }
  /// The address inside the namespace.
  const std::string& inner_address() const noexcept { return inner_addr_; }
  /// `{ip, "netns", "exec", name}`: runs a command inside, in place.
  std::vector<std::string> launcher() const;

  /// Cuts the namespace off (its end of the pair down). False with the
  /// reason in `why` when `ip` failed.
  bool partition(std::string& why);
  /// Joins it again (its end up).
  bool heal(std::string& why);

private:
  network_namespace() = default;

  /// Runs `ip args…`; false with its output in `why` when it fails.
  bool ip(const std::vector<std::string>& args, std::string& why) const;

  std::string ip_path_;
  std::string name_;
  std::string outer_if_; ///< this side's veth
  std::string inner_if_; ///< the namespace's veth
  std::string outer_addr_;
  std::string inner_addr_;
};

} // namespace herald::test
