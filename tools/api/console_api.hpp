#pragma once

// The web console's files (issue 14, docs/API.md "Console"): `GET /` redirects
// to `/console/`, `GET /console/<file>` serves the files loaded at start
// from `--console-dir` (http::static_files: nothing from a request reaches
// the file system). Public (the console signs in through the API), GET and
// HEAD only, with strict headers: a Content-Security-Policy that allows
// scripts, styles and connections from this origin only (no inline script,
// no framing), `X-Content-Type-Options: nosniff` (the server's default,
// http::set_default_headers), `Referrer-Policy:
// no-referrer`, `Cache-Control: no-cache` (revalidate: a node upgrade
// serves its own console). Thread-safe once the routes are added.

#include <memory>

#include "tools/api/types.hpp"
#include "tools/http/static_files.hpp"

namespace herald::api {

class console_api {
public:
  /// `files` null: the console is not installed, `/console/` says so (404).
  explicit console_api(std::shared_ptr<const http::static_files> files)
      : files_(std::move(files)) {}

  /// Registers the resource's routes in `table` (once, before serving).
  void add_routes(routes& table);

  /// The Content-Security-Policy of the console's pages.
  static constexpr const char* content_security_policy =
      "default-src 'none'; script-src 'self'; style-src 'self'; "
      "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
      "form-action 'none'; frame-ancestors 'none'";

private:
  std::shared_ptr<const http::static_files> files_;
};

} // namespace herald::api
