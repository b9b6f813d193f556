#include "actors/protocol/node_tls.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>

#include <caf/actor_system_config.hpp>
#include <caf/openssl/manager.hpp>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "runtime/errc.hpp"

namespace herald::protocol {

namespace {

caf::error bad(std::string field, std::string message) {
  return runtime::make_api_error(runtime::errc::invalid_parameter,
                                 std::move(message), std::move(field));
}

/// OpenSSL's reason for the last failure (its queue is cleared).
std::string openssl_reason() {
  std::string out;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out.empty() ? std::string{"unknown reason"} : out;
}

bool readable(const std::string& path) {
  std::ifstream in{path};
  return static_cast<bool>(in);
}

int passphrase_cb(char* buf, int size, int, void* user) {
  const auto* pass = static_cast<const std::string*>(user);
  if (size <= 0)
    return 0;
  auto n = std::min(pass->size(), static_cast<size_t>(size - 1));
  std::memcpy(buf, pass->data(), n);
  buf[n] = '\0';
  return static_cast<int>(n);
}

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct file_close {
  void operator()(FILE* f) const { std::fclose(f); }
};
struct ctx_free {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct store_ctx_free {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};

} // namespace

caf::error check(const node_tls& tls) {
  if (!tls.enabled()) {
    if (!tls.key_passphrase.empty())
      return bad("passphrase", "a key passphrase without TLS files: TLS on "
                               "the node port needs a certificate, its key "
                               "and the CA");
    return {};
  }
  std::string missing;
  for (auto [name, value] :
       {std::pair{"cert", &tls.cert_file}, std::pair{"key", &tls.key_file},
        std::pair{"ca", &tls.ca_file}})
    if (value->empty())
      missing += missing.empty() ? name : std::string{", "} + name;
  if (!missing.empty())
    return bad(missing.substr(0, missing.find(',')),
               "TLS on the node port needs all three of cert, key and ca "
               "(mutual TLS: each side presents a certificate signed by the "
               "CA); missing: " +
                   missing);
  for (auto [name, path] :
       {std::pair{"cert", &tls.cert_file}, std::pair{"key", &tls.key_file},
        std::pair{"ca", &tls.ca_file}})
    if (!readable(*path))
      return bad(name, "cannot read '" + *path + "'");
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, ctx_free> ctx{SSL_CTX_new(TLS_method())};
  if (!ctx)
    return bad("cert",
               "OpenSSL cannot make a TLS context: " + openssl_reason());
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1)
    return bad("cert",
               "'" + tls.cert_file +
                   "' holds no usable PEM certificate: " + openssl_reason());
  // The key first on its own, so that a key that does not open (encrypted,
  // wrong passphrase, not a key) and one of another certificate get
  // different messages.
  std::unique_ptr<EVP_PKEY, pkey_free> key;
  {
    std::unique_ptr<FILE, file_close> f{std::fopen(tls.key_file.c_str(), "r")};
    std::string pass = tls.key_passphrase;
    if (f)
      key.reset(PEM_read_PrivateKey(f.get(), nullptr, passphrase_cb, &pass));
  }
  if (!key)
    return bad("key", "cannot load the private key '" + tls.key_file + "'" +
                          (tls.key_passphrase.empty()
                               ? std::string{" (not a PEM key, or encrypted: "
                                             "give its passphrase)"}
                               : std::string{" (wrong passphrase?)"}) +
                          ": " + openssl_reason());
  if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return bad("key", "the private key '" + tls.key_file +
                          "' does not belong to the certificate '" +
                          tls.cert_file + "'");
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) !=
      1)
    return bad("ca",
               "'" + tls.ca_file +
                   "' holds no usable PEM CA certificate: " + openssl_reason());
  // The other side verifies this certificate against the same CA: say now
  // when it would fail (another CA, expired, not yet valid).
  X509* leaf = SSL_CTX_get0_certificate(ctx.get());
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx.get(), &chain);
  std::unique_ptr<X509_STORE_CTX, store_ctx_free> vctx{X509_STORE_CTX_new()};
  if (!leaf || !vctx ||
      X509_STORE_CTX_init(vctx.get(), SSL_CTX_get_cert_store(ctx.get()), leaf,
                          chain) != 1)
    return bad("cert",
               "cannot verify '" + tls.cert_file + "': " + openssl_reason());
  if (X509_verify_cert(vctx.get()) != 1) {
    const auto err = X509_STORE_CTX_get_error(vctx.get());
    ERR_clear_error();
    return bad("cert", "the certificate '" + tls.cert_file +
                           "' does not verify against the CA '" + tls.ca_file +
                           "': " + X509_verify_cert_error_string(err));
  }
  return {};
}

void configure(caf::actor_system_config& cfg, const node_tls& tls) {
  cfg.openssl_certificate = tls.cert_file;
  cfg.openssl_key = tls.key_file;
  cfg.openssl_passphrase = tls.key_passphrase;
  cfg.openssl_cafile = tls.ca_file;
  cfg.openssl_capath.clear();
  cfg.load<caf::openssl::manager>();
}

caf::expected<std::string> read_passphrase_file(const std::string& path) {
  std::ifstream in{path};
  std::string line;
  if (!in || !std::getline(in, line))
    return bad("passphrase", "cannot read a passphrase from '" + path + "'");
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  if (line.empty())
    return bad("passphrase",
               "the passphrase file '" + path + "' starts with an empty line");
  return line;
}

} // namespace herald::protocol
