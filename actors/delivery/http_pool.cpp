#include "actors/delivery/http_pool.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

#include <curl/curl.h>
#include <spdlog/spdlog.h>

namespace herald::delivery {

namespace {

void global_init() {
  // Once per process, as automation's http_call does (curl counts its
  // initialisations, so both doing it is fine).
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

/// Easy handles kept for reuse, configured (the connections live in the
/// multi's cache, not in them: this saves allocations and option calls).
constexpr size_t max_free_handles = 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

/// A batch in the pool: its requests, the one in flight and what it got.
struct batch {
  std::vector<flow::delivery_request> requests;
  std::function<void(batch_result)> done;
  size_t next = 0;      ///< the request in flight (all before: 2xx)
  size_t cap = 0;       ///< max_response_bytes
  CURL* easy = nullptr; ///< while a request is in flight
  curl_slist* headers = nullptr;
  http_answer answer; ///< of the request in flight
  char errbuf[CURL_ERROR_SIZE] = {};

  ~batch() { curl_slist_free_all(headers); }
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* b = static_cast<batch*>(user);
  const size_t len = size * n;
  auto& body = b->answer.body;
  if (body.size() < b->cap)
    body.append(data, std::min(len, b->cap - body.size()));
  return len; // the rest is read and dropped
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* b = static_cast<batch*>(user);
  const size_t len = size * n;
  std::string_view line{data, len};
  if (line.starts_with("HTTP/")) {
    // A new response starts (after a 1xx): only the final one's count.
    b->answer.retry_after.clear();
    return len;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos &&
      iequals(trim(line.substr(0, colon)), "retry-after"))
    b->answer.retry_after = std::string{trim(line.substr(colon + 1))};
  return len;
}

/// The error text of a transfer that got no answer, as last_error shows
/// it ("timed out after 300 ms", "connection refused", curl's own text).
/// `os_errno` is the socket error behind it (curl's error buffer does not
/// name it).
std::string describe_error(CURLcode rc, const char* errbuf, long os_errno,
                           long connect_ms, long total_ms) {
  const std::string_view detail{errbuf};
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
    if (detail.starts_with("Connection timed out") ||
        detail.starts_with("Failed to connect"))
      return "connection timed out after " + std::to_string(connect_ms) + " ms";
    return "timed out after " + std::to_string(total_ms) + " ms";
  case CURLE_COULDNT_CONNECT:
    if (os_errno == ECONNREFUSED)
      return "connection refused";
    if (os_errno != 0)
      return "cannot connect: " +
             std::string{std::strerror(static_cast<int>(os_errno))};
    break;
  default:
    break;
  }
  return detail.empty() ? std::string{curl_easy_strerror(rc)}
                        : std::string{detail};
}

} // namespace

/// One loop: a curl multi handle, its epoll set and its thread.
struct loop_impl {
  explicit loop_impl(http_pool_options o) : opts(o) {
    global_init();
    multi = curl_multi_init();
    if (!multi)
      throw std::runtime_error{"http_pool: cannot create a curl multi handle"};
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                      static_cast<long>(opts.max_idle_connections));
    // curl's socket interface: the loop waits on epoll for the sockets
    // curl names, so a wake-up costs the sockets that are ready, not all
    // of them (curl_multi_poll polls every connection every time).
    epfd = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd < 0 || wake_fd < 0)
      throw std::runtime_error{"http_pool: cannot create epoll/eventfd"};
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd;
    ::epoll_ctl(epfd, EPOLL_CTL_ADD, wake_fd, &ev);
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &loop_impl::on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &loop_impl::on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    connect_ms =
        std::max<long>(1, static_cast<long>(opts.connect_timeout.count()));
    total_ms = std::max<long>(1, static_cast<long>(opts.total_timeout.count()));
  }

  ~loop_impl() {
    for (CURL* h : free_handles)
      curl_easy_cleanup(h);
    curl_multi_cleanup(multi);
    ::close(wake_fd);
    ::close(epfd);
  }

  /// curl: watch `fd` for `what` (or stop watching it).
  static int on_socket(CURL*, curl_socket_t fd, int what, void* user, void*) {
    auto* self = static_cast<loop_impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      ::epoll_ctl(self->epfd, EPOLL_CTL_DEL, fd, nullptr);
      return 0;
    }
    epoll_event ev{};
    ev.data.fd = fd;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
      ev.events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
      ev.events |= EPOLLOUT;
    if (::epoll_ctl(self->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
      ::epoll_ctl(self->epfd, EPOLL_CTL_ADD, fd, &ev);
    return 0;
  }

  /// curl: call socket_action(TIMEOUT) in `ms` (-1: no timer).
  static int on_timer(CURLM*, long ms, void* user) {
    auto* self = static_cast<loop_impl*>(user);
    self->timer_due = ms < 0 ? clock::time_point::max()
                             : clock::now() + std::chrono::milliseconds(ms);
    return 0;
  }

  void wake() {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }

  void submit(std::unique_ptr<batch> b) {
    {
      std::lock_guard lock{mu};
      if (!stopping) {
        queued.push_back(std::move(b)); // leaves b empty
      }
    }
    if (b) {
      batch_result r;
      r.cancelled = true;
      b->done(std::move(r)); // at once: the pool stopped
      return;
    }
    wake();
  }

  void stop() {
    {
      std::lock_guard lock{mu};
      if (stopping)
        return;
      stopping = true;
    }
    wake();
  }

  /// The pool's thread.
  void run() {
    epoll_event events[256];
    int running_handles = 0;
    for (;;) {
      std::vector<std::unique_ptr<batch>> fresh;
      {
        std::lock_guard lock{mu};
        if (stopping)
          break;
        fresh.swap(queued);
      }
      for (auto& b : fresh) {
        auto* p = b.get();
        running.emplace(p, std::move(b));
        start(p);
      }
      // Wait for a socket, curl's timer, or a wake-up (submit, stop).
      int wait_ms = 1000;
      if (timer_due != clock::time_point::max()) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(timer_due -
                                                                 clock::now());
        wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1000));
      }
      const int n = ::epoll_wait(epfd, events, 256, wait_ms);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd) {
          uint64_t count = 0;
          [[maybe_unused]] auto r = ::read(wake_fd, &count, sizeof count);
          continue;
        }
        int action = 0;
        if (events[i].events & EPOLLIN)
          action |= CURL_CSELECT_IN;
        if (events[i].events & EPOLLOUT)
          action |= CURL_CSELECT_OUT;
        if (events[i].events & (EPOLLERR | EPOLLHUP))
          action |= CURL_CSELECT_ERR;
        curl_multi_socket_action(multi, fd, action, &running_handles);
      }
      if (timer_due != clock::time_point::max() && clock::now() >= timer_due) {
        timer_due = clock::time_point::max();
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0,
                                 &running_handles);
      }
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left))
        if (m->msg == CURLMSG_DONE)
          completed(m->easy_handle, m->data.result);
    }
    cancel_all();
  }

  /// Sends the batch's next request, or ends it when none is left.
  void start(batch* b) {
    if (b->next >= b->requests.size()) {
      batch_result r;
      r.delivered = b->next;
      return finish(b, std::move(r));
    }
    const auto& req = b->requests[b->next];
    CURL* h = b->easy ? b->easy : take_handle();
    if (!h) {
      batch_result r;
      r.delivered = b->next;
      r.failed = true;
      r.failure.error = "cannot create an HTTP handle";
      return finish(b, std::move(r));
    }
    b->answer = {};
    b->errbuf[0] = '\0';
    if (b->headers) {
      curl_slist_free_all(b->headers);
      b->headers = nullptr;
    }
    for (const auto& [name, value] : req.headers) {
      if (name.empty() || has_line_break(name) || has_line_break(value))
        continue; // never a header that would smuggle another
      // "Name;" is curl's spelling of a header with an empty value.
      auto line = value.empty() ? name + ";" : name + ": " + value;
      b->headers = curl_slist_append(b->headers, line.c_str());
    }
    // No "Expect: 100-continue" wait for larger bodies.
    b->headers = curl_slist_append(b->headers, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(req.body.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, b->headers);
    if (b->easy != h) { // the batch's first request: point it at the batch
      curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
      curl_easy_setopt(h, CURLOPT_HEADERDATA, b);
      curl_easy_setopt(h, CURLOPT_ERRORBUFFER, b->errbuf);
      curl_easy_setopt(h, CURLOPT_PRIVATE, b);
      b->cap = opts.max_response_bytes;
      b->easy = h;
    }
    if (curl_multi_add_handle(multi, h) != CURLM_OK) {
      release(b);
      batch_result r;
      r.delivered = b->next;
      r.failed = true;
      r.failure.error = "cannot start an HTTP transfer";
      return finish(b, std::move(r));
    }
    sent.fetch_add(1, std::memory_order_relaxed);
  }

  /// A transfer ended: the next request on a 2xx, else the batch's end.
  void completed(CURL* h, CURLcode rc) {
    batch* b = nullptr;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, &b);
    curl_multi_remove_handle(multi, h);
    long status = 0;
    if (rc == CURLE_OK)
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status >= 200 && status < 300) {
      ++b->next;
      if (b->next >= b->requests.size())
        release(b);
      return start(b); // the next request on the same handle
    }
    batch_result r;
    r.delivered = b->next;
    r.failed = true;
    r.failure = std::move(b->answer);
    r.failure.status = rc == CURLE_OK ? status : 0;
    if (rc != CURLE_OK) {
      long os_errno = 0;
      curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
      r.failure.error =
          describe_error(rc, b->errbuf, os_errno, connect_ms, total_ms);
    }
    release(b);
    finish(b, std::move(r));
  }

  /// Ends every batch, sent or still queued, as cancelled.
  void cancel_all() {
    std::vector<std::unique_ptr<batch>> rest;
    {
      std::lock_guard lock{mu};
      rest.swap(queued);
    }
    for (auto& b : rest) {
      auto* p = b.get();
      running.emplace(p, std::move(b));
    }
    while (!running.empty()) {
      batch* b = running.begin()->first;
      if (b->easy)
        curl_multi_remove_handle(multi, b->easy);
      release(b);
      batch_result r;
      r.delivered = b->next;
      r.cancelled = true;
      finish(b, std::move(r));
    }
  }

  /// Calls the batch's callback and forgets the batch.
  void finish(batch* b, batch_result r) {
    auto node = running.extract(b);
    try {
      b->done(std::move(r));
    } catch (const std::exception& e) {
      spdlog::error("delivery: a batch callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("delivery: a batch callback threw");
    }
  }

  /// A handle with the options every request shares (kept across reuse).
  CURL* take_handle() {
    if (!free_handles.empty()) {
      CURL* h = free_handles.back();
      free_handles.pop_back();
      return h;
    }
    CURL* h = curl_easy_init();
    if (!h)
      return nullptr;
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "herald/0.1");
    return h;
  }

  /// Gives the batch's handle (already out of the multi) back for reuse.
  void release(batch* b) {
    if (b->headers) {
      curl_slist_free_all(b->headers);
      b->headers = nullptr;
    }
    if (!b->easy)
      return;
    CURL* h = std::exchange(b->easy, nullptr);
    if (free_handles.size() < max_free_handles) {
      // Options stay (take_handle set the shared ones; the next user sets
      // its own pointers before the handle runs again).
      free_handles.push_back(h);
    } else {
      curl_easy_cleanup(h);
    }
  }

  http_pool_options opts;
  long connect_ms = 0;
  long total_ms = 0;
  CURLM* multi = nullptr;
  std::atomic<uint64_t> sent{0};
  using clock = std::chrono::steady_clock;
  int epfd = -1;
  int wake_fd = -1;
  clock::time_point timer_due = clock::time_point::max(); ///< pool thread

  std::mutex mu;
  std::vector<std::unique_ptr<batch>> queued; ///< guarded by mu
  bool stopping = false;                      ///< guarded by mu

  // The pool's thread only.
  std::unordered_map<batch*, std::unique_ptr<batch>> running;
  std::vector<CURL*> free_handles;

  std::thread thread;
};

struct http_pool::impl {
  std::vector<std::unique_ptr<loop_impl>> loops;
};

http_pool::http_pool(http_pool_options opts) : impl_(std::make_unique<impl>()) {
  const size_t n = std::max<size_t>(1, opts.threads);
  for (size_t i = 0; i < n; ++i) {
    auto loop = std::make_unique<loop_impl>(opts);
    loop->thread = std::thread{[p = loop.get()] { p->run(); }};
    impl_->loops.push_back(std::move(loop));
  }
}

http_pool::~http_pool() {
  for (auto& l : impl_->loops)
    l->stop();
  for (auto& l : impl_->loops)
    if (l->thread.joinable())
      l->thread.join();
}

void http_pool::submit(std::vector<flow::delivery_request> requests,
                       std::function<void(batch_result)> done) {
  submit(0, std::move(requests), std::move(done));
}

void http_pool::submit(size_t key, std::vector<flow::delivery_request> requests,
                       std::function<void(batch_result)> done) {
  auto b = std::make_unique<batch>();
  b->requests = std::move(requests);
  b->done = std::move(done);
  impl_->loops[key % impl_->loops.size()]->submit(std::move(b));
}

void http_pool::stop() {
  for (auto& l : impl_->loops)
    l->stop();
}

uint64_t http_pool::requests_sent() const noexcept {
  uint64_t n = 0;
  for (const auto& l : impl_->loops)
    n += l->sent.load(std::memory_order_relaxed);
  return n;
}

} // namespace herald::delivery
