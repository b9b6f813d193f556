// The web console in a real browser (issue 14): Debian's headless Chromium,
// driven by puppeteer-core (tests/console/check.mjs, pinned by its
// package-lock.json), against a real heraldd. Signs in with a user's
// password (a wrong one is refused), sees a published event in the live
// tail within a second, expands an event whose data holds markup and script
// and finds them shown as text with nothing run, pauses and resumes the
// tail, pages through a scope search, browses the scope tree down to a
// scope and searches it, pages a level of 101 scopes with more…, opens an
// event's CloudEvents form, runs a workflow (after a confirmation) and follows
// its task to `succeeded`, re-drives a dead letter from the subscription view
// to a webhook receiver, sees a topic with the subscription that follows it,
// has its login token renewed before expiry, sees a schedule trigger's next
// fires and the sources' counts, signs out (the credential is gone), signs in
// as a reader who is offered no Run or Cancel, and signs in again with a pasted
// (admin) token, which shows the config, a connected listener with its pending
// action and the progress it reports on the task, and the node. Screenshots of
// each view go to console-screenshots/ in the test's working directory
// (build/tests).
//
// Needs `chromium` (scripts/install-deps.sh) and `npm ci` in tests/console
// (scripts/test.sh); without them the test fails and says so.

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/process/process_fixture.hpp"

#ifndef HERALD_CONSOLE_CHECK_DIR
#define HERALD_CONSOLE_CHECK_DIR "tests/console"
#endif

namespace herald::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* user = "console-ops";
constexpr const char* password = "console-check-password-1";
constexpr const char* reader = "console-reader";
constexpr const char* reader_password = "console-reader-password-1";

class console_browser : public process_test {
protected:
  std::vector<std::string> node_args() const override {
    fs::create_directories(users_.parent_path());
    std::ofstream{users_} << R"({"users":[{"name":")" << user
                          << R"(","password":")" << password
                          << R"(","roles":["reader","publisher"]},{"name":")"
                          << reader << R"(","password":")" << reader_password
                          << R"(","roles":["reader"]}]})";
    // Login tokens live 70 s, so the console renews one 10 s after sign-in
    // (a minute before expiry), within the check.
    return {"--users", users_.string(), "--token-ttl", "70"};
  }
  void TearDown() override { fs::remove_all(users_.parent_path()); }

  fs::path users_ = fs::temp_directory_path() /
                    ("herald-console-users-" + std::to_string(::getpid())) /
                    "users.json";
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(console_browser, an_operator_signs_in_tails_searches_and_signs_out) {
  const fs::path dir{HERALD_CONSOLE_CHECK_DIR};
  ASSERT_TRUE(fs::exists(dir / "node_modules" / "puppeteer-core"))
      << "puppeteer-core is not installed: run `npm ci` in " << dir
      << " (scripts/test.sh does)";
  const char* chromium = std::getenv("HERALD_CHROMIUM");
  const std::string browser = chromium ? chromium : "/usr/bin/chromium";
  ASSERT_TRUE(fs::exists(browser))
      << browser << " is missing: scripts/install-deps.sh installs chromium";
  const auto shots = fs::current_path() / "console-screenshots";
  const auto out = node().work_dir() / "console-check.out";
  const auto err = node().work_dir() / "console-check.err";
  const char* node_bin = std::getenv("HERALD_NODE");
  // `timeout` bounds the browser run; check.mjs's own waits are shorter.
  const std::string cmd =
      "timeout 120 " + std::string{node_bin ? node_bin : "node"} + " '" +
      (dir / "check.mjs").string() +
      "' --url http://127.0.0.1:" + std::to_string(node().http_port()) +
      " --token '" + node().admin_token() + "' --user " + user +
      " --password " + password + " --reader " + reader +
      " --reader-password " + reader_password + " --shots '" + shots.string() +
      "' --chromium '" + browser + "' > '" + out.string() + "' 2> '" +
      err.string() + "'";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(status, 0) << read_text(err) << read_text(out) << "(screenshots in "
                       << shots << ")";
  auto verdict = json::parse(read_text(out), nullptr, false);
  ASSERT_FALSE(verdict.is_discarded()) << read_text(out);
  EXPECT_TRUE(verdict.value("ok", false));
  EXPECT_LE(verdict.value("tail_ms", 99999), 1000);
  for (const char* view :
       {"signin", "tail", "search", "workflows", "tasks", "subscriptions",
        "triggers", "sources", "listeners", "config"})
    EXPECT_TRUE(fs::exists(shots / (std::string{view} + ".png"))) << view;
}

} // namespace
} // namespace herald::test
