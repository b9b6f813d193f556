#pragma once

// A directory of static files served read-only (the web console): loaded
// into memory once, so a request can name only a file that was there at
// load time (no path from a client ever reaches the file system) and a
// reply never blocks on the disk.
//
// Thread-safety: load() before serving; find() is const and may run on any
// number of threads at once.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace herald::http {

/// Limits of what static_files::load() takes: a directory with bigger or
/// more files is refused.
struct static_file_limits {
  size_t max_file_bytes = 4u << 20;
  size_t max_total_bytes = 32u << 20;
  size_t max_files = 1000;
};

class static_files {
public:
  struct file {
    std::string content_type; ///< with charset for text
    std::string body;
  };

  /// Reads every regular file under `dir` whose name has a known type
  /// (html, js, mjs, css, svg, png, ico, json, txt, woff2); other files and
  /// names with a segment starting with '.' are left out. Symbolic links
  /// are not followed. Errors: the directory cannot be read, or a limit is
  /// exceeded.
  static caf::expected<static_files> load(const std::string& dir,
                                          static_file_limits lim = {});

  /// The file at `path` ('/'-separated, relative to the directory, already
  /// percent-decoded; "" or a path ending in '/' means its index.html);
  /// nullptr when there is none.
  const file* find(std::string_view path) const;

  size_t size() const noexcept { return files_.size(); }

  /// The content type for a file name's extension; "" when unknown.
  static std::string_view content_type_of(std::string_view name) noexcept;

private:
  std::map<std::string, file, std::less<>> files_;
};

} // namespace herald::http
