// Passwords, random/service tokens and secret files (auth.hpp). JWTs are in
// auth_jwt.cpp, the login limiter in auth_limiter.cpp.
#include "runtime/auth.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/errc.hpp"

namespace herald::runtime::auth {

namespace {

// crypto_pwhash parameters: OWASP's argon2id minimum (19 MiB, t=2, p=1).
constexpr unsigned long long pwhash_opslimit = 2;
constexpr size_t pwhash_memlimit = size_t{19} * 1024 * 1024;

// Upper bounds on the cost of a hash we are willing to verify: libsodium
// allocates m KiB and runs t passes for whatever the string says.
constexpr uint64_t max_hash_m_kib = 1024 * 1024; // 1 GiB
constexpr uint64_t max_hash_t = 32;

// Largest signing key file load_or_create_key reads.
constexpr off_t max_key_file_size = 64 * 1024;

// sodium_init() is itself thread-safe and idempotent; the static makes the
// common path a load.
bool sodium_ready() noexcept {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

bool consume(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix)
    return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Parses a decimal of 1-10 digits off the front of `s`.
bool consume_number(std::string_view& s, uint64_t& out) {
  size_t n = 0;
  out = 0;
  while (n < s.size() && n < 11 && s[n] >= '0' && s[n] <= '9')
    out = out * 10 + static_cast<uint64_t>(s[n++] - '0');
  if (n == 0 || n > 10)
    return false;
  s.remove_prefix(n);
  return true;
}

// The hash has one of the two prefixes and cost parameters within bounds.
// libsodium's own decoder does the full parse afterwards.
bool acceptable_hash(std::string_view hash, bool allow_argon2i) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES ||
      hash.find('\0') != std::string_view::npos)
    return false;
  std::string_view s = hash;
  if (!consume(s, "$argon2id$") && !(allow_argon2i && consume(s, "$argon2i$")))
    return false;
  uint64_t version = 0, m = 0, t = 0, p = 0;
  return consume(s, "v=") && consume_number(s, version) && consume(s, "$m=") &&
         consume_number(s, m) && consume(s, ",t=") && consume_number(s, t) &&
         consume(s, ",p=") && consume_number(s, p) && m <= max_hash_m_kib &&
         t <= max_hash_t;
}

std::string errno_text(int err) {
  return std::error_code{err, std::generic_category()}.message();
}

caf::error file_error(std::string_view what, const std::filesystem::path& p,
                      int err) {
  std::string msg{what};
  msg += ' ';
  msg += p.string();
  msg += ": ";
  msg += errno_text(err);
  return make_api_error(errc::internal, std::move(msg));
}

// Closes a descriptor on scope exit unless released.
class fd_guard {
public:
  explicit fd_guard(int fd) : fd_{fd} {}
  ~fd_guard() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const { return fd_; }
  /// close() with its result; the guard no longer owns the descriptor.
  int close() { return ::close(std::exchange(fd_, -1)); }

private:
  int fd_;
};

bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string to_hex(const unsigned char* bytes, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

} // namespace

caf::expected<std::string> hash_password(std::string_view password) {
  if (password.empty() || password.size() > max_password_size)
    return make_api_error(errc::invalid_field, "password must be 1-1024 bytes",
                          "/password");
  if (!sodium_ready())
    return make_api_error(errc::internal, "libsodium failed to initialize");
  char out[crypto_pwhash_STRBYTES] = {};
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            pwhash_opslimit, pwhash_memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return make_api_error(errc::internal,
                          "password hashing failed (out of memory)");
  return std::string{out};
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (password.size() > max_password_size || !acceptable_hash(hash, true) ||
      !sodium_ready())
    return false;
  const std::string h{hash}; // libsodium wants it NUL-terminated
  return crypto_pwhash_str_verify(h.c_str(), password.data(),
                                  password.size()) == 0;
}

bool is_password_hash(std::string_view hash) {
  if (!acceptable_hash(hash, false) || !sodium_ready())
    return false;
  const std::string h{hash};
  // -1 iff libsodium's decoder (the one verify uses) rejects the string.
  return crypto_pwhash_argon2id_str_needs_rehash(h.c_str(), pwhash_opslimit,
                                                 pwhash_memlimit) != -1;
}

std::string random_token(size_t bytes) {
  if (bytes == 0)
    return {};
  if (!sodium_ready())
    std::abort(); // no CSPRNG: nothing safe to hand out
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes, variant), '\0');
  sodium_bin2base64(out.data(), out.size(),
                    reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), variant);
  sodium_memzero(raw.data(), raw.size());
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string token_digest(std::string_view token) {
  unsigned char digest[crypto_generichash_BYTES]; // 32: BLAKE2b-256
  static_assert(crypto_generichash_BYTES == 32);
  crypto_generichash(digest, sizeof digest,
                     reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return to_hex(digest, sizeof digest);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  if (a.empty())
    return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

caf::error write_secret_file(const std::filesystem::path& file,
                             std::string_view content) {
  auto dir = file.parent_path();
  if (dir.empty())
    dir = ".";
  auto tmp = file;
  tmp += ".tmp-" + random_token(9);
  fd_guard fd{::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                     S_IRUSR | S_IWUSR)};
  if (fd.get() < 0)
    return file_error("cannot create", tmp, errno);
  auto fail = [&](std::string_view what, const std::filesystem::path& p) {
    const int err = errno;
    if (fd.get() >= 0)
      fd.close();
    ::unlink(tmp.c_str());
    return file_error(what, p, err);
  };
  // The umask may only have taken bits away; make it exactly 0600.
  if (::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0)
    return fail("cannot chmod", tmp);
  if (!write_all(fd.get(), content))
    return fail("cannot write", tmp);
  if (::fsync(fd.get()) != 0)
    return fail("cannot fsync", tmp);
  if (fd.close() != 0)
    return fail("cannot close", tmp);
  if (::rename(tmp.c_str(), file.c_str()) != 0)
    return fail("cannot rename to", file);
  fd_guard dir_fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir_fd.get() < 0)
    return file_error("cannot open directory", dir, errno);
  if (::fsync(dir_fd.get()) != 0)
    return file_error("cannot fsync directory", dir, errno);
  return {};
}

caf::expected<std::string>
load_or_create_key(const std::filesystem::path& file) {
  fd_guard fd{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.get() < 0) {
    if (errno != ENOENT)
      return file_error("cannot open signing key file", file, errno);
    if (!sodium_ready())
      return make_api_error(errc::internal, "libsodium failed to initialize");
    std::string key(min_key_size, '\0');
    randombytes_buf(key.data(), key.size());
    if (auto err = write_secret_file(file, key))
      return err;
    return key;
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0)
    return file_error("cannot stat signing key file", file, errno);
  if (!S_ISREG(st.st_mode))
    return make_api_error(errc::internal, "signing key file " + file.string() +
                                              " is not a regular file");
  if (st.st_size > max_key_file_size)
    return make_api_error(errc::internal, "signing key file " + file.string() +
                                              " is larger than 64 KiB");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 &&
      ::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0)
    return file_error("cannot chmod 0600 signing key file", file, errno);
  std::string key;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return file_error("cannot read signing key file", file, errno);
    }
    if (n == 0)
      break;
    key.append(buf, static_cast<size_t>(n));
    if (key.size() > static_cast<size_t>(max_key_file_size))
      return make_api_error(errc::internal, "signing key file " +
                                                file.string() +
                                                " is larger than 64 KiB");
  }
  sodium_memzero(buf, sizeof buf);
  if (key.size() < min_key_size)
    return make_api_error(errc::internal, "signing key file " + file.string() +
                                              " holds " +
                                              std::to_string(key.size()) +
                                              " bytes, at least 32 are needed");
  return key;
}

} // namespace herald::runtime::auth
