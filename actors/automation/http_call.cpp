#include "actors/automation/http_call.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include <curl/curl.h>

namespace herald::automation {

namespace {

struct sink {
  std::string* out;
  size_t cap;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<sink*>(user);
  const size_t len = size * n;
  if (s->out->size() < s->cap)
    s->out->append(data, std::min(len, s->cap - s->out->size()));
  return len;
}

std::atomic<bool> aborting{false};

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return aborting.load(std::memory_order_relaxed) ? 1 : 0;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

http_outcome perform_http(const http_call& call) {
  global_init();
  http_outcome out;
  CURL* h = curl_easy_init();
  if (!h) {
    out.error = "cannot create an HTTP handle";
    return out;
  }
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : call.headers)
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  if (call.has_body)
    headers = curl_slist_append(headers, "Content-Type: application/json");
  sink s{&out.body, call.max_response_bytes};
  curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (call.method == "HEAD")
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (call.has_body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(call.body.size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  const long total =
      static_cast<long>(std::max<int64_t>(call.timeout.count(), 1));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(total, 10000L));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "herald/0.1");
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    out.error = "node stopping";
  } else if (rc != CURLE_OK) {
    out.error = rc == CURLE_OPERATION_TIMEDOUT
                    ? "timed out after " + std::to_string(total) + " ms"
                    : std::string{curl_easy_strerror(rc)};
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
    out.ok = out.status >= 200 && out.status < 300;
    if (!out.ok)
      out.error = "HTTP " + std::to_string(out.status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return out;
}

void abort_http_calls() noexcept {
  aborting.store(true, std::memory_order_relaxed);
}

} // namespace herald::automation
