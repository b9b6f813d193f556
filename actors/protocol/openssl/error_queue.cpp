// Clears the calling thread's OpenSSL error queue before every TLS I/O
// call of the process, as OpenSSL requires ("the current thread's error
// queue must be empty before the TLS/SSL I/O operation is attempted, or
// SSL_get_error() will not work reliably", SSL_get_error(3)).
//
// Why: CAF 0.17.6's OpenSSL module drains the queue only inside its log
// statements, which Debian's build compiles out. A peer that fails its
// handshake (a plain node, a certificate of another CA) leaves its errors
// in the multiplexer thread's queue; the next SSL_read of a good
// connection on that thread that would merely block then reads
// SSL_ERROR_SSL instead of SSL_ERROR_WANT_READ, and CAF closes that good
// connection: the cluster link flapped and lost what was in flight each
// time a bad peer retried.
//
// How: the executables that use TLS link this object (CMake
// `herald_openssl_error_queue`); their definitions of these four functions
// come before libssl's in the dynamic lookup, so CAF's calls land here,
// and each forwards to libssl's own function (dlsym RTLD_NEXT). Clearing
// the queue first is what every careful caller does anyway (libcurl does),
// so other users in the process lose nothing.

#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class Fn>
Fn next_definition(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static const auto real =
      next_definition<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static const auto real =
      next_definition<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static const auto real = next_definition<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

int SSL_connect(SSL* ssl) {
  static const auto real = next_definition<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"
