// The console's files: what a directory offers is fixed at load, so no
// request path can reach anything else (hidden files, other types, links
// out of the directory, parent directories).

#include "tools/http/static_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace herald::http {
namespace {

namespace fs = std::filesystem;

/// A fresh directory, removed with everything in it.
struct temp_dir {
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "herald-static-XXXXXX");
    path_ = mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path path_;
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream{p, std::ios::binary} << text;
}

TEST(static_files, serves_known_types_and_nothing_else) {
  temp_dir outside;
  write(outside.path() / "secret.html", "outside");
  temp_dir dir;
  const auto& d = dir.path();
  write(d / "index.html", "<!doctype html>");
  write(d / "app.js", "export {}");
  write(d / "css" / "style.css", "body{}");
  write(d / ".env", "TOKEN=x");
  write(d / ".git" / "config.json", "{}");
  write(d / "notes.md", "# not served");
  write(d / "binary.bin", "\x01\x02");
  fs::create_symlink(outside.path() / "secret.html", d / "link.html");
  auto files = static_files::load(d.string());
  ASSERT_TRUE(files) << caf::to_string(files.error());
  EXPECT_EQ(files->size(), 3u);
  ASSERT_NE(files->find(""), nullptr); // the directory: its index.html
  EXPECT_EQ(files->find("")->body, "<!doctype html>");
  EXPECT_EQ(files->find("")->content_type, "text/html; charset=utf-8");
  ASSERT_NE(files->find("app.js"), nullptr);
  EXPECT_EQ(files->find("app.js")->content_type,
            "text/javascript; charset=utf-8");
  ASSERT_NE(files->find("css/style.css"), nullptr);
  EXPECT_EQ(files->find("css/style.css")->content_type,
            "text/css; charset=utf-8");
  for (const char* path : {".env", ".git/config.json", "notes.md", "binary.bin",
                           "link.html", "../secret.html", "css/../app.js",
                           "/app.js", "css", "APP.JS", "app.js/"})
    EXPECT_EQ(files->find(path), nullptr) << path;
}

TEST(static_files, a_directory_over_the_limits_is_refused) {
  temp_dir dir;
  write(dir.path() / "big.js", std::string(2048, 'x'));
  static_file_limits lim;
  lim.max_file_bytes = 1024;
  EXPECT_FALSE(static_files::load(dir.path().string(), lim));
  lim.max_file_bytes = 4096;
  lim.max_total_bytes = 1024;
  EXPECT_FALSE(static_files::load(dir.path().string(), lim));
  EXPECT_TRUE(static_files::load(dir.path().string()));
  EXPECT_FALSE(static_files::load((dir.path() / "missing").string()));
}

} // namespace
} // namespace herald::http
