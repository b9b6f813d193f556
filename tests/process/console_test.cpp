// The web console as heraldd serves it (issue 14, docs/API.md "Console"):
// `/` leads to it, its files come with strict headers, nothing outside its
// directory is reachable, and every API answer says not to cache it.

#include <fstream>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

class console_test : public process_test {
protected:
  std::vector<std::string> node_args() const override {
    std::filesystem::create_directories(dir_ / "console");
    std::ofstream{dir_ / "console" / "index.html"} << "<!doctype html>hi";
    std::ofstream{dir_ / "console" / "app.js"} << "export {};";
    std::ofstream{dir_ / "secret.html"} << "outside the console";
    return {"--console-dir", (dir_ / "console").string()};
  }

  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() /
      ("herald-console-test-" + std::to_string(::getpid()));

  void TearDown() override { std::filesystem::remove_all(dir_); }
};

TEST_F(console_test, the_root_redirects_to_the_console) {
  auto r = as("").get("/");
  EXPECT_EQ(r.status, 302) << r.describe();
  EXPECT_EQ(r.header("location"), "/console/");
}

TEST_F(console_test, pages_come_with_strict_headers_and_no_credential) {
  auto http = as(""); // no token: the console signs in itself
  auto page = http.get("/console/");
  ASSERT_EQ(page.status, 200) << page.describe();
  EXPECT_EQ(page.body, "<!doctype html>hi");
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  auto csp = page.header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(page.header("x-frame-options"), "DENY");
  EXPECT_EQ(page.header("referrer-policy"), "no-referrer");
  EXPECT_EQ(http.get("/console").body, page.body);
  auto js = http.get("/console/app.js");
  ASSERT_EQ(js.status, 200) << js.describe();
  EXPECT_EQ(js.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(http.request("HEAD", "/console/app.js").status, 200);
  EXPECT_EQ(http.post("/console/app.js", "{}").status, 405);
}

TEST_F(console_test, nothing_outside_its_directory_is_reachable) {
  auto http = as("");
  for (const char* target :
       {"/console/../secret.html", "/console/%2e%2e/secret.html",
        "/console/..%2fsecret.html", "/console/missing.js",
        "/console/%2fetc%2fpasswd", "/console/store/CURRENT"}) {
    auto r = http.get(target);
    EXPECT_EQ(r.status, 404) << target << ": " << r.describe();
    EXPECT_EQ(r.body.find("outside the console"), std::string::npos);
  }
}

TEST_F(console_test, api_answers_are_not_cached_and_never_sniffed) {
  for (const char* target : {"/healthz", "/api/v1/events?limit=1"}) {
    auto r = http().get(target);
    ASSERT_EQ(r.status, 200) << target << ": " << r.describe();
    EXPECT_EQ(r.header("cache-control"), "no-store") << target;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << target;
  }
  auto refused = as("").get("/api/v1/events");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.header("cache-control"), "no-store");
}

class console_off_test : public process_test {
protected:
  std::vector<std::string> node_args() const override {
    return {"--console-dir", "none"};
  }
};

TEST_F(console_off_test, a_node_without_the_console_says_so) {
  auto r = as("").get("/console/");
  EXPECT_EQ(r.status, 404) << r.describe();
  EXPECT_NE(
      r.json()["error"]["message"].get<std::string>().find("not installed"),
      std::string::npos)
      << r.describe();
}

} // namespace
} // namespace herald::test
