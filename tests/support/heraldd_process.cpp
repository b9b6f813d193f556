#include "tests/support/heraldd_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace herald::test {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0)
    ::close(fd);
  return port;
}

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The last `max` bytes of `text`, marked when cut.
std::string tail(const std::string& text, size_t max = 16384) {
  if (text.size() <= max)
    return text;
  return "...(" + std::to_string(text.size() - max) + " bytes cut)...\n" +
         text.substr(text.size() - max);
}

fs::path make_temp_dir() {
  auto base = fs::temp_directory_path() / "herald-proc-XXXXXX";
  std::string pattern = base.string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed: " +
                             std::string(std::strerror(errno)));
  return pattern;
}

void append_marker(const fs::path& path, int run) {
  std::ofstream out(path, std::ios::app);
  out << "=== herald test harness: run " << run << " ===\n";
}

std::string& default_binary() {
  static std::string path = "heraldd";
  return path;
}

} // namespace

void heraldd_process::set_default_binary(std::string path) {
  default_binary() = std::move(path);
}

heraldd_process::heraldd_process(std::vector<std::string> extra_args)
    : heraldd_process([&] {
        heraldd_options options;
        options.extra_args = std::move(extra_args);
        return options;
      }()) {}

heraldd_process::heraldd_process(heraldd_options options)
    : options_(std::move(options)) {
  work_dir_ = make_temp_dir();
  data_dir_ = work_dir_ / "data";
  stdout_path_ = work_dir_ / "heraldd.stdout";
  stderr_path_ = work_dir_ / "heraldd.stderr";
}

heraldd_process::~heraldd_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  const char* keep_env = std::getenv("HERALD_TEST_KEEP");
  bool keep = keep_env && *keep_env && std::string(keep_env) != "0";
  if (::testing::Test::HasFailure())
    std::cerr << "---- heraldd output ("
              << (keep ? "kept in " + work_dir_.string()
                       : "set HERALD_TEST_KEEP=1 to keep the data dir")
              << ") ----\n"
              << tail(output()) << "\n---- end of heraldd output ----\n";
  if (!keep) {
    std::error_code ignored;
    fs::remove_all(work_dir_, ignored);
  }
}

::testing::AssertionResult heraldd_process::start() {
  if (pid_ > 0)
    return ::testing::AssertionFailure() << "heraldd is already running";
  return spawn_and_wait();
}

::testing::AssertionResult heraldd_process::restart() {
  if (running())
    return ::testing::AssertionFailure()
           << "restart(): the previous run (pid " << pid_ << ") still runs";
  return spawn_and_wait();
}

::testing::AssertionResult heraldd_process::fail(const std::string& why) const {
  return ::testing::AssertionFailure()
         << why << "\n---- heraldd output ----\n"
         << tail(output(), 8192) << "\n---- end ----";
}

::testing::AssertionResult heraldd_process::spawn_and_wait() {
  ++runs_;
  exit_status_.reset();
  http_port_ = node_port_ = 0;
  ports_ = nlohmann::json();
  token_.clear();
  std::error_code ec;
  fs::create_directories(data_dir_, ec);
  // A stale ports.json from the previous run must not be mistaken for this
  // run's: the node rewrites it once its listeners are bound.
  fs::remove(data_dir_ / "ports.json", ec);
  append_marker(stdout_path_, runs_);
  append_marker(stderr_path_, runs_);

  const char* override_path = std::getenv("HERALD_TEST_HERALDD");
  std::string binary = !options_.binary.empty()          ? options_.binary
                       : override_path && *override_path ? override_path
                                                         : default_binary();
  std::vector<std::string> args = options_.launcher;
  args.insert(args.end(), {binary, "--data-dir", data_dir_.string()});
  if (options_.default_http) {
    args.emplace_back("--http");
    args.emplace_back(options_.host + ":0");
  }
  if (options_.default_node_port) {
    args.emplace_back("--node-port");
    args.emplace_back("0");
    if (options_.host != "127.0.0.1") {
      args.emplace_back("--node-host");
      args.emplace_back(options_.host);
    }
  }
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  auto out_path = stdout_path_.string();
  auto err_path = stderr_path_.string();
  long max_fd = std::min(::sysconf(_SC_OPEN_MAX), 65536L);
  pid_t parent = ::getpid();

  pid_t child = ::fork();
  if (child < 0)
    return fail("fork failed: " + std::string(std::strerror(errno)));
  if (child == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    int out = ::open(out_path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    int null_in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || null_in < 0)
      ::_exit(126);
    ::dup2(null_in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // Sockets of the test process must not leak into the node.
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
      for (long fd = 3; fd < max_fd; ++fd)
        ::close(static_cast<int>(fd));
    ::execv(argv[0], argv.data());
    static const char failed[] = "herald test harness: execv failed: ";
    if (::write(2, failed, sizeof failed - 1) < 0 ||
        ::write(2, argv[0], ::strlen(argv[0])) < 0 || ::write(2, "\n", 1) < 0)
      ::_exit(127);
    ::_exit(127);
  }
  pid_ = child;

  auto ports_path = data_dir_ / "ports.json";
  std::string why_not;
  bool have_ports = wait_for(
      [&] {
        if (!running())
          return true;
        if (!fs::exists(ports_path))
          return false;
        auto parsed =
            nlohmann::json::parse(read_file(ports_path), nullptr, false);
        if (!parsed.is_object() || !parsed.contains("http") ||
            !parsed["http"].is_number_unsigned() || parsed["http"] == 0) {
          why_not =
              "ports.json is not {\"http\":PORT,...}: " + read_file(ports_path);
          return false;
        }
        ports_ = parsed;
        http_port_ = parsed["http"].get<uint16_t>();
        if (parsed.contains("node") && parsed["node"].is_number_unsigned())
          node_port_ = parsed["node"].get<uint16_t>();
        return true;
      },
      options_.start_deadline);
  if (pid_ < 0)
    return fail("heraldd exited with status " +
                std::to_string(exit_status_.value_or(-1)) +
                " before writing ports.json");
  if (!have_ports)
    return fail("no valid " + ports_path.string() + " within " +
                std::to_string(options_.start_deadline.count()) + " ms " +
                why_not);

  http_client client(http_port_, options_.host);
  client.set_timeout(2s);
  http_response last;
  bool ready = wait_for(
      [&] {
        if (!running())
          return true;
        last = client.get("/readyz");
        return last.status == 200;
      },
      options_.start_deadline);
  if (pid_ < 0)
    return fail("heraldd exited with status " +
                std::to_string(exit_status_.value_or(-1)) +
                " before /readyz turned 200");
  if (!ready)
    return fail("GET /readyz did not answer 200 within " +
                std::to_string(options_.start_deadline.count()) +
                " ms; last answer: " + last.describe());
  // ports.json may be rewritten once the node port is bound; re-read it.
  auto parsed = nlohmann::json::parse(read_file(ports_path), nullptr, false);
  if (parsed.is_object() && parsed.contains("node") &&
      parsed["node"].is_number_unsigned()) {
    ports_ = parsed;
    node_port_ = parsed["node"].get<uint16_t>();
  }
  if (fs::exists(data_dir_ / "admin.token")) {
    token_ = read_file(data_dir_ / "admin.token");
    while (!token_.empty() &&
           std::isspace(static_cast<unsigned char>(token_.back())))
      token_.pop_back();
  }
  return ::testing::AssertionSuccess();
}

int heraldd_process::collect(int wait_status) {
  int code = WIFEXITED(wait_status)     ? WEXITSTATUS(wait_status)
             : WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status)
                                        : still_running;
  exit_status_ = code;
  pid_ = -1;
  return code;
}

bool heraldd_process::running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    collect(status);
    return false;
  }
  return true;
}

int heraldd_process::wait_exit(std::chrono::milliseconds deadline) {
  if (pid_ <= 0)
    return exit_status_.value_or(still_running);
  if (wait_for([&] { return !running(); }, deadline))
    return exit_status_.value_or(still_running);
  return still_running;
}

int heraldd_process::stop(std::chrono::milliseconds deadline) {
  if (pid_ <= 0)
    return exit_status_.value_or(still_running);
  ::kill(pid_, SIGTERM);
  int code = wait_exit(deadline);
  if (code == still_running) {
    kill9();
    exit_status_ = still_running;
  }
  return code;
}

void heraldd_process::kill9() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_)
    collect(status);
  pid_ = -1;
}

http_client heraldd_process::http() const {
  http_client client(http_port_, options_.host);
  client.set_bearer_token(token_);
  return client;
}

std::string heraldd_process::output() const {
  return "[stdout]\n" + read_file(stdout_path_) + "[stderr]\n" +
         read_file(stderr_path_);
}

std::optional<long> heraldd_process::rss_kib() const {
  if (pid_ <= 0)
    return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return std::nullopt;
}

fs::path heraldd_process::write_file(const std::string& name,
                                     const std::string& text) const {
  auto path = work_dir_ / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return path;
}

} // namespace herald::test
