#include "tools/herald-bench/heraldd_child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tools/herald-bench/bench_client.hpp"
#include "tools/herald-bench/bench_common.hpp"

namespace herald::bench {

namespace fs = std::filesystem;

std::string heraldd_binary(const std::string& flag) {
  if (!flag.empty())
    return flag;
  if (auto env = std::getenv("HERALD_BENCH_HERALDD"); env && *env)
    return env;
#ifdef HERALD_BENCH_HERALDD
  if (fs::exists(HERALD_BENCH_HERALDD))
    return HERALD_BENCH_HERALDD;
#endif
  return "heraldd";
}

namespace {

std::string tail_of(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

} // namespace

heraldd_child::~heraldd_child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string heraldd_child::start(const std::string& binary,
                                 const std::string& data_dir,
                                 const std::vector<std::string>& extra_args,
                                 int deadline_s) {
  fs::create_directories(data_dir);
  auto ports_path = fs::path{data_dir} / "ports.json";
  fs::remove(ports_path);
  auto parent = fs::absolute(data_dir).parent_path();
  std::vector<std::string> args{binary,   "--data-dir",  data_dir,
                                "--http", "127.0.0.1:0", "--node-port",
                                "0",      "--log-level", "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  times_ = {};
  auto forked = std::chrono::steady_clock::now();
  auto ms_since_fork = [&] {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - forked)
        .count();
  };
  pid_t pid = ::fork();
  if (pid < 0)
    return "fork failed";
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    auto log = (parent / ("heraldd-" + std::to_string(::getpid()) + ".log"));
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
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
  pid_ = pid;
  log_path_ = (parent / ("heraldd-" + std::to_string(pid) + ".log")).string();
  http_port_ = 0;
  std::unique_ptr<http_conn> conn; // one keep-alive probe connection
  auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(deadline_s);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return "heraldd exited during start (status " + std::to_string(status) +
             "): " + tail_of(log_path_);
    }
    if (http_port_ == 0 && fs::exists(ports_path)) {
      std::ifstream in{ports_path};
      auto j = nlohmann::json::parse(in, nullptr, false);
      if (!j.is_discarded() && j.contains("http")) {
        http_port_ = j["http"].get<uint16_t>();
        times_.ports_ms = ms_since_fork();
        conn = std::make_unique<http_conn>("127.0.0.1", http_port_);
      }
    }
    if (conn && probe_healthz_ && times_.healthz_ms < 0 &&
        conn->get("/healthz").status == 200)
      times_.healthz_ms = ms_since_fork();
    if (conn && (!probe_healthz_ || times_.healthz_ms >= 0) &&
        conn->get("/readyz").status == 200) {
      times_.readyz_ms = ms_since_fork();
      std::ifstream tok{fs::path{data_dir} / "admin.token"};
      std::getline(tok, token_);
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms_));
  }
  return "heraldd not ready after " + std::to_string(deadline_s) +
         " s: " + tail_of(log_path_);
}

int heraldd_child::stop() {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 3000; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return 128 + SIGKILL;
}

int heraldd_child::kill() {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bench_node::~bench_node() {
  child_.stop();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string bench_node::open(const node_target& target, const std::string& tag,
                             const std::vector<std::string>& extra_args) {
  if (!target.url.empty()) {
    // http://HOST:PORT[/]
    auto rest = target.url;
    if (rest.rfind("http://", 0) == 0)
      rest = rest.substr(7);
    auto slash = rest.find('/');
    if (slash != std::string::npos)
      rest = rest.substr(0, slash);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos)
      return "--url must be http://HOST:PORT";
    host_ = rest.substr(0, colon);
    port_ = static_cast<uint16_t>(std::stoi(rest.substr(colon + 1)));
    token_ = target.token;
    if (token_.empty())
      if (const char* env = std::getenv("HERALD_TOKEN"))
        token_ = env;
    return {};
  }
  dir_ = make_temp_dir(target.work_dir, tag);
  auto args = extra_args;
  args.push_back("--durability");
  args.push_back(target.durability);
  auto err = child_.start(heraldd_binary(target.heraldd),
                          (fs::path{dir_} / "data").string(), args);
  if (!err.empty())
    return err;
  port_ = child_.http_port();
  token_ = child_.token();
  return {};
}

} // namespace herald::bench
