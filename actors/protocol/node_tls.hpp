#pragma once

// TLS on the node port (DESIGN §6: "across hosts TLS through CAF's OpenSSL
// module"): the files both sides of a node-port connection need, a check
// that they load, and the actor_system_config settings that turn CAF's
// OpenSSL module on. Used by heraldd (the node port and its peer dials),
// the client library and heraldctl.
//
// What CAF 0.17.6's module does (libcaf_openssl, tested in
// tests/cluster/basp_link_tls_test.cpp):
// - Only connections made through it are TLS: caf::openssl::publish and
//   the manager's middleman actor (caf::openssl::remote_actor, its
//   connect_atom). The plain middleman's publish and connect stay plain
//   TCP in the same system, so a TLS node publishes the node port with
//   caf::openssl::publish only, and dials through the manager only.
// - With a certificate, key or CA configured it verifies both sides
//   (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT): mutual TLS, each
//   side presents its certificate and must be signed by the CA file. It
//   checks the chain (signature, validity dates) only: no host name or
//   node id is compared, so every holder of a certificate from the CA is
//   trusted as a node or client of the cluster (a peer still needs the
//   cluster secret in its hello; a client its credential).
// - Without any of them it would fall back to anonymous ciphers (no
//   authentication at all): Herald never configures that, TLS is all three
//   files or none.
// - It reads the files again for every connection and raises (terminates
//   the process) when it cannot: check() first, and replace files
//   atomically (rename) when rotating them.

#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

namespace herald::protocol {

/// The files of one side of a node-port TLS connection (PEM). All three
/// or none; `key_passphrase` only with an encrypted key.
struct node_tls {
  /// This side's certificate (a chain file: the leaf first).
  std::string cert_file;
  /// Its private key.
  std::string key_file;
  /// The CA (one or more certificates) that signed every node's and
  /// client's certificate: the other side is verified against it.
  std::string ca_file;
  /// Decrypts `key_file`; empty: the key is not encrypted.
  std::string key_passphrase;

  /// Whether any file is given (check() requires all then).
  bool enabled() const noexcept {
    return !cert_file.empty() || !key_file.empty() || !ca_file.empty();
  }
};

/// Whether `tls` is usable: none given (plain TCP), or all three files
/// readable, the key (decrypted with the passphrase) matching the
/// certificate, and the certificate valid now and signed by the CA.
/// Errors: runtime::errc::invalid_parameter, field "cert", "key", "ca" or
/// "passphrase" (the caller's flag), the message naming the file and what
/// is wrong with it (never the passphrase). Reads files; does not block
/// otherwise.
caf::error check(const node_tls& tls);

/// Turns CAF's OpenSSL module on in `cfg` with `tls`'s files: sets
/// openssl.certificate/key/passphrase/cafile and loads
/// caf::openssl::manager. Call after `cfg.load<caf::io::middleman>()`,
/// before the actor system is made, with a `tls` that check() accepted
/// and that is enabled().
void configure(caf::actor_system_config& cfg, const node_tls& tls);

/// Reads a passphrase file (its first line, without the line break).
/// Errors: runtime::errc::invalid_parameter, field "passphrase".
caf::expected<std::string> read_passphrase_file(const std::string& path);

} // namespace herald::protocol
