// heraldd's TLS flags for the node port (issue 12 point 8): all three files
// or none, each checked before anything starts (exit 2 naming the flag and
// the file), the config-file keys, and the warning for a node port off
// loopback without TLS. TLS connections themselves: tests/cluster
// (basp_link_tls_test), tests/client (client_tls_test) and the TLS cluster
// in cluster_test.cpp.

#include <gmock/gmock.h>

#include "tests/process/process_fixture.hpp"
#include "tests/support/test_pki.hpp"

namespace herald::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> tls_flags(const protocol::node_tls& f) {
  return {"--node-tls-cert", f.cert_file,     "--node-tls-key",
          f.key_file,        "--node-tls-ca", f.ca_file};
}

/// heraldd with `args` exits 2 before serving, its output naming each of
/// `mentions`.
void expect_exit_2(const std::vector<std::string>& args,
                   const std::vector<std::string>& mentions) {
  heraldd_process node;
  node.options().extra_args = args;
  EXPECT_FALSE(node.start()) << "heraldd started with bad TLS flags";
  EXPECT_EQ(node.wait_exit(10s), 2) << node.output();
  for (const auto& m : mentions)
    EXPECT_THAT(node.output(), HasSubstr(m));
  EXPECT_FALSE(std::filesystem::exists(node.data_dir() / "ports.json"))
      << "it must not have served";
}

TEST(node_tls_flags, some_but_not_all_files_exit_2_naming_what_is_missing) {
  test_pki pki;
  auto f = pki.issue("n1");
  expect_exit_2({"--node-tls-cert", f.cert_file},
                {"--node-tls-key", "missing: key, ca"});
  expect_exit_2({"--node-tls-cert", f.cert_file, "--node-tls-key", f.key_file},
                {"--node-tls-ca", "missing: ca"});
}

TEST(node_tls_flags, unusable_files_exit_2_naming_the_flag_and_file) {
  test_pki pki;
  pki.make_ca("other");
  auto f = pki.issue("n1");
  auto missing = f;
  missing.ca_file = (pki.dir() / "no-such-ca.pem").string();
  expect_exit_2(tls_flags(missing),
                {"--node-tls-ca", "cannot read", missing.ca_file});
  auto wrong_key = f;
  wrong_key.key_file = pki.issue("n2").key_file;
  expect_exit_2(tls_flags(wrong_key), {"--node-tls-key", "does not belong"});
  auto foreign = pki.issue("n3", "other");
  foreign.ca_file = f.ca_file;
  expect_exit_2(tls_flags(foreign), {"--node-tls-cert", "does not verify"});
  auto locked = pki.issue_encrypted("n4", "right");
  expect_exit_2(tls_flags(locked), {"--node-tls-key", "passphrase"});
}

TEST(node_tls_flags, config_file_keys_and_a_passphrase_file_start_tls) {
  test_pki pki;
  auto f = pki.issue_encrypted("n1", "s3same");
  heraldd_process node;
  auto pass = node.write_file("key.pass", "s3same\n");
  auto config = node.write_file(
      "herald.toml",
      "node-tls-cert = \"" + f.cert_file + "\"\nnode-tls-key = \"" +
          f.key_file + "\"\nnode-tls-ca = \"" + f.ca_file +
          "\"\nnode-tls-key-passphrase-file = \"" + pass.string() + "\"\n");
  node.options().extra_args = {"--config", config.string()};
  ASSERT_TRUE(node.start());
  EXPECT_THAT(node.output(), HasSubstr("TLS, peers and clients verified"));
  EXPECT_EQ(node.stop(), 0) << node.output();
}

TEST(node_tls_flags, a_node_port_off_loopback_without_tls_warns) {
  {
    heraldd_process node; // the default: loopback, no warning
    ASSERT_TRUE(node.start());
    EXPECT_EQ(node.stop(), 0);
    EXPECT_THAT(node.output(), Not(HasSubstr("not on loopback")));
  }
  heraldd_process node;
  node.options().extra_args = {"--node-host", "0.0.0.0"};
  ASSERT_TRUE(node.start());
  EXPECT_EQ(node.stop(), 0);
  EXPECT_THAT(node.output(), HasSubstr("is not on loopback and has no TLS"));
}

} // namespace
} // namespace herald::test
