#include "tools/http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "runtime/errc.hpp"

namespace herald::http {

namespace fs = std::filesystem;

namespace {

caf::error load_error(std::string message) {
  return runtime::make_api_error(runtime::errc::internal, std::move(message),
                                 "");
}

} // namespace

std::string_view static_files::content_type_of(std::string_view name) noexcept {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos)
    return {};
  auto ext = name.substr(dot + 1);
  if (ext == "html")
    return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs")
    return "text/javascript; charset=utf-8";
  if (ext == "css")
    return "text/css; charset=utf-8";
  if (ext == "svg")
    return "image/svg+xml";
  if (ext == "png")
    return "image/png";
  if (ext == "ico")
    return "image/x-icon";
  if (ext == "json")
    return "application/json";
  if (ext == "txt")
    return "text/plain; charset=utf-8";
  if (ext == "woff2")
    return "font/woff2";
  return {};
}

caf::expected<static_files> static_files::load(const std::string& dir,
                                               static_file_limits lim) {
  static_files out;
  std::error_code ec;
  const fs::path root{dir};
  if (!fs::is_directory(root, ec))
    return load_error("not a directory: " + dir);
  size_t total = 0;
  fs::recursive_directory_iterator it{root, fs::directory_options::none, ec};
  if (ec)
    return load_error("cannot read " + dir + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator{}; it.increment(ec)) {
    if (ec)
      return load_error("cannot read " + dir + ": " + ec.message());
    const auto& entry = *it;
    auto rel = entry.path().lexically_relative(root).generic_string();
    bool hidden = false;
    for (size_t i = 0; i < rel.size(); ++i)
      if (rel[i] == '.' && (i == 0 || rel[i - 1] == '/'))
        hidden = true;
    if (hidden) {
      if (entry.is_directory(ec))
        it.disable_recursion_pending();
      continue;
    }
    if (entry.is_symlink(ec) || !entry.is_regular_file(ec))
      continue;
    auto type = content_type_of(rel);
    if (type.empty())
      continue;
    const auto bytes = entry.file_size(ec);
    if (ec)
      return load_error("cannot read " + rel + ": " + ec.message());
    if (bytes > lim.max_file_bytes)
      return load_error(rel + " is over " + std::to_string(lim.max_file_bytes) +
                        " bytes");
    total += bytes;
    if (total > lim.max_total_bytes || out.files_.size() >= lim.max_files)
      return load_error(dir + " holds more than the console may serve");
    std::ifstream in{entry.path(), std::ios::binary};
    std::string body{std::istreambuf_iterator<char>{in},
                     std::istreambuf_iterator<char>{}};
    if (!in && !in.eof())
      return load_error("cannot read " + rel);
    out.files_.emplace(std::move(rel),
                       file{std::string{type}, std::move(body)});
  }
  return out;
}

const static_files::file* static_files::find(std::string_view path) const {
  std::string key{path};
  if (key.empty() || key.back() == '/')
    key += "index.html";
  auto i = files_.find(key);
  return i == files_.end() ? nullptr : &i->second;
}

} // namespace herald::http
