#include "tests/support/test_pki.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace herald::test {

namespace {

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
struct file_close {
  void operator()(FILE* f) const { std::fclose(f); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

void need(bool ok, const std::string& what) {
  if (!ok)
    throw std::runtime_error("test_pki: " + what);
}

std::unique_ptr<FILE, file_close> open_write(const std::filesystem::path& p) {
  std::unique_ptr<FILE, file_close> f{std::fopen(p.c_str(), "w")};
  need(f != nullptr, "cannot write " + p.string());
  return f;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  need(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// A certificate for `cn` with `key`, signed by `issuer_key` (and named
/// after `issuer`; itself when null).
x509_ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer,
                   EVP_PKEY* issuer_key, long serial, bool ca, bool expired) {
  x509_ptr cert{X509_new()};
  need(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  const long day = 86400;
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), expired ? -2 * day : -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), expired ? -day : 2 * day);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "CA:FALSE");
  }
  need(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

pkey_ptr read_key(const std::filesystem::path& p) {
  std::unique_ptr<FILE, file_close> f{std::fopen(p.c_str(), "r")};
  need(f != nullptr, "cannot read " + p.string());
  pkey_ptr key{PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr)};
  need(key != nullptr, "PEM_read_PrivateKey " + p.string());
  return key;
}

x509_ptr read_cert(const std::filesystem::path& p) {
  std::unique_ptr<FILE, file_close> f{std::fopen(p.c_str(), "r")};
  need(f != nullptr, "cannot read " + p.string());
  x509_ptr cert{PEM_read_X509(f.get(), nullptr, nullptr, nullptr)};
  need(cert != nullptr, "PEM_read_X509 " + p.string());
  return cert;
}

void write_cert(const std::filesystem::path& p, X509* cert) {
  auto f = open_write(p);
  need(PEM_write_X509(f.get(), cert) == 1, "PEM_write_X509");
}

void write_key(const std::filesystem::path& p, EVP_PKEY* key,
               const std::string& passphrase) {
  auto f = open_write(p);
  const EVP_CIPHER* cipher = passphrase.empty() ? nullptr : EVP_aes_256_cbc();
  auto* pass = passphrase.empty()
                   ? nullptr
                   : reinterpret_cast<const unsigned char*>(passphrase.data());
  need(PEM_write_PrivateKey(f.get(), key, cipher, pass,
                            static_cast<int>(passphrase.size()), nullptr,
                            nullptr) == 1,
       "PEM_write_PrivateKey");
  std::filesystem::permissions(p, std::filesystem::perms::owner_read |
                                      std::filesystem::perms::owner_write);
}

} // namespace

test_pki::test_pki() {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() /
         ("herald-pki-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir_);
  make_ca("ca");
}

test_pki::~test_pki() {
  if (std::getenv("HERALD_TEST_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void test_pki::make_ca(const std::string& name) {
  pkey_ptr key{EVP_EC_gen("P-256")};
  need(key != nullptr, "EVP_EC_gen");
  auto cert = make_cert("herald test " + name, key.get(), nullptr, key.get(),
                        serial_++, true, false);
  write_cert(dir_ / (name + ".pem"), cert.get());
  write_key(dir_ / (name + ".key"), key.get(), "");
}

protocol::node_tls test_pki::issue(const std::string& name,
                                   const std::string& ca) {
  return make(name, ca, "", false);
}

protocol::node_tls test_pki::issue_encrypted(const std::string& name,
                                             const std::string& passphrase) {
  return make(name, "ca", passphrase, false);
}

protocol::node_tls test_pki::issue_expired(const std::string& name) {
  return make(name, "ca", "", true);
}

protocol::node_tls test_pki::make(const std::string& name,
                                  const std::string& ca,
                                  const std::string& passphrase, bool expired) {
  auto ca_cert = read_cert(dir_ / (ca + ".pem"));
  auto ca_key = read_key(dir_ / (ca + ".key"));
  pkey_ptr key{EVP_EC_gen("P-256")};
  need(key != nullptr, "EVP_EC_gen");
  auto cert = make_cert(name, key.get(), ca_cert.get(), ca_key.get(), serial_++,
                        false, expired);
  write_cert(dir_ / (name + ".pem"), cert.get());
  write_key(dir_ / (name + ".key"), key.get(), passphrase);
  protocol::node_tls out;
  out.cert_file = pem(name);
  out.key_file = (dir_ / (name + ".key")).string();
  out.ca_file = pem(ca);
  out.key_passphrase = passphrase;
  return out;
}

std::string test_pki::pem(const std::string& name) const {
  return (dir_ / (name + ".pem")).string();
}

} // namespace herald::test
