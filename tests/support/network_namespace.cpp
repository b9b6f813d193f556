#include "tests/support/network_namespace.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace herald::test {

namespace {

/// The path of iproute2's `ip` ("" when there is none).
std::string find_ip() {
  std::vector<std::string> dirs{"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
  if (const char* path = std::getenv("PATH")) {
    std::stringstream in{path};
    std::string dir;
    while (std::getline(in, dir, ':'))
      if (!dir.empty())
        dirs.push_back(dir);
  }
  for (const auto& dir : dirs) {
    auto candidate = dir + "/ip";
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return {};
}

/// Runs `argv` (argv[0] a path) with stdout and stderr into `output`;
/// its exit status (-1 when it could not run or was killed).
int run(const std::vector<std::string>& argv, std::string& output) {
  int fds[2];
  if (::pipe(fds) != 0)
    return -1;
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return -1;
  }
  if (child == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[512];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    output.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

} // namespace

bool network_namespace::ip(const std::vector<std::string>& args,
                           std::string& why) const {
  std::vector<std::string> argv{ip_path_};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string output;
  if (run(argv, output) == 0)
    return true;
  why = "'ip";
  for (const auto& a : args)
    why += " " + a;
  why += "' failed: " + output;
  return false;
}

std::unique_ptr<network_namespace> network_namespace::create(std::string& why) {
  if (::geteuid() != 0) {
    why = "creating a network namespace needs root (CAP_NET_ADMIN)";
    return nullptr;
  }
  std::unique_ptr<network_namespace> ns{new network_namespace};
  ns->ip_path_ = find_ip();
  if (ns->ip_path_.empty()) {
    why = "no `ip` (iproute2) on this machine";
    return nullptr;
  }
  const auto pid = std::to_string(::getpid());
  ns->name_ = "herald-part-" + pid;
  ns->outer_if_ = "hpr" + pid; // ≤ 15 characters for any PID
  ns->inner_if_ = "hpn" + pid;
  // One /30 of 10.213/16 per PID (16384 of them).
  const auto k = static_cast<unsigned>(::getpid()) % 16384u;
  const auto net = "10.213." + std::to_string(k / 64) + ".";
  ns->outer_addr_ = net + std::to_string(k % 64 * 4 + 1);
  ns->inner_addr_ = net + std::to_string(k % 64 * 4 + 2);
  // Left over by an earlier run of this PID (errors ignored: usually none).
  std::string ignored;
  ns->ip({"netns", "del", ns->name_}, ignored);
  ns->ip({"link", "del", ns->outer_if_}, ignored);
  if (!ns->ip({"netns", "add", ns->name_}, why)) {
    ns->name_.clear(); // not ours to delete
    return nullptr;
  }
  // From here on the destructor removes whatever was made.
  const auto& n = ns->name_;
  if (!ns->ip({"link", "add", ns->outer_if_, "type", "veth", "peer", "name",
               ns->inner_if_},
              why) ||
      !ns->ip({"link", "set", ns->inner_if_, "netns", n}, why) ||
      !ns->ip({"addr", "add", ns->outer_addr_ + "/30", "dev", ns->outer_if_},
              why) ||
      !ns->ip({"link", "set", ns->outer_if_, "up"}, why) ||
      !ns->ip({"-n", n, "addr", "add", ns->inner_addr_ + "/30", "dev",
               ns->inner_if_},
              why) ||
      !ns->ip({"-n", n, "link", "set", ns->inner_if_, "up"}, why) ||
      !ns->ip({"-n", n, "link", "set", "lo", "up"}, why))
    return nullptr;
  return ns;
}

network_namespace::~network_namespace() {
  std::string ignored;
  if (!name_.empty())
    ip({"netns", "del", name_}, ignored); // destroys the pair with it
  if (!outer_if_.empty())
    ip({"link", "del", outer_if_}, ignored); // in case it was not moved
}

std::vector<std::string> network_namespace::launcher() const {
  return {ip_path_, "netns", "exec", name_};
}

bool network_namespace::partition(std::string& why) {
  return ip({"-n", name_, "link", "set", inner_if_, "down"}, why);
}

bool network_namespace::heal(std::string& why) {
  return ip({"-n", name_, "link", "set", inner_if_, "up"}, why);
}

} // namespace herald::test
