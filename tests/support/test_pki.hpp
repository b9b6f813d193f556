#pragma once

// A throwaway PKI for TLS tests of the node port (issue 12 point 8): CAs
// and certificates made with OpenSSL's API (EC P-256, SHA-256) into a
// temporary directory, removed with the object. No child process, no
// network. Not thread-safe.

#include <filesystem>
#include <string>

#include "actors/protocol/node_tls.hpp"

namespace herald::test {

class test_pki {
public:
  /// Makes the directory and a CA named "ca".
  test_pki();
  /// Removes the directory (HERALD_TEST_KEEP=1 keeps it).
  ~test_pki();
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;

  /// A self-signed CA `name` (<dir>/<name>.pem, its key <name>.key).
  void make_ca(const std::string& name);

  /// A certificate for common name `name` (<dir>/<name>.pem, .key) signed
  /// by CA `ca`, as the files of one side of a node-port connection: its
  /// certificate, its key, and `ca` as the CA it trusts (set ca_file to
  /// another CA's pem() for a side that trusts another one).
  protocol::node_tls issue(const std::string& name,
                           const std::string& ca = "ca");
  /// The same with the key encrypted (AES-256) by `passphrase` (set in
  /// the answer's key_passphrase).
  protocol::node_tls issue_encrypted(const std::string& name,
                                     const std::string& passphrase);
  /// The same, valid from two days ago to yesterday.
  protocol::node_tls issue_expired(const std::string& name);

  /// <dir>/<name>.pem (a CA's or a certificate's).
  std::string pem(const std::string& name) const;
  const std::filesystem::path& dir() const noexcept { return dir_; }

private:
  protocol::node_tls make(const std::string& name, const std::string& ca,
                          const std::string& passphrase, bool expired);

  std::filesystem::path dir_;
  long serial_ = 1;
};

} // namespace herald::test
