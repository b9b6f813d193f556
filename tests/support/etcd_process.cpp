#include "tests/support/etcd_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/support/heraldd_process.hpp"
#include "tests/support/http_client.hpp"

namespace herald::test {

namespace {

std::string binary() {
  if (const char* b = std::getenv("HERALD_TEST_ETCD"))
    return b;
  return "etcd";
}

} // namespace

etcd_process::etcd_process(std::string host) : host_(std::move(host)) {
  char tmpl[] = "/tmp/herald-etcd-XXXXXX";
  if (const char* d = ::mkdtemp(tmpl))
    dir_ = d;
}

etcd_process::~etcd_process() {
  stop();
  std::error_code ec;
  if (!dir_.empty() && std::getenv("HERALD_TEST_KEEP") == nullptr)
    std::filesystem::remove_all(dir_, ec);
}

std::string etcd_process::url() const {
  return "http://" + host_ + ":" + std::to_string(client_port_);
}

std::string etcd_process::output() const {
  std::ifstream in{dir_ / "etcd.log"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool etcd_process::start(std::chrono::milliseconds deadline) {
  if (dir_.empty()) {
    error_ = "no temporary directory";
    return false;
  }
  // A port taken between the probe and etcd's bind fails the start: try
  // again with others (bounded).
  for (int attempt = 0; attempt < 3; ++attempt) {
    client_port_ = free_port();
    peer_port_ = free_port();
    const auto client = url();
    const auto peer = "http://" + host_ + ":" + std::to_string(peer_port_);
    std::vector<std::string> args{
        binary(),
        "--name=herald-test",
        "--data-dir=" + (dir_ / ("data" + std::to_string(attempt))).string(),
        "--listen-client-urls=" + client,
        "--advertise-client-urls=" + client,
        "--listen-peer-urls=" + peer,
        "--initial-advertise-peer-urls=" + peer,
        "--initial-cluster=herald-test=" + peer,
        "--initial-cluster-state=new",
        "--log-level=warn"};
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open((dir_ / "etcd.log").c_str(),
                      O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    if (pid_ < 0) {
      error_ = "fork failed";
      return false;
    }
    http_client health{client_port_, host_};
    health.set_timeout(std::chrono::milliseconds{500});
    bool up = wait_for(
        [&] {
          int status = 0;
          if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return true; // exited: give up on this attempt
          }
          auto r = health.get("/health");
          return r.status == 200 &&
                 r.body.find("\"true\"") != std::string::npos;
        },
        deadline);
    if (up && pid_ > 0)
      return true;
    stop();
  }
  error_ = "etcd (" + binary() + ") did not become healthy: " + output();
  return false;
}

void etcd_process::stop(std::chrono::milliseconds deadline) {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  bool gone = wait_for(
      [&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, deadline);
  if (!gone) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

} // namespace herald::test
