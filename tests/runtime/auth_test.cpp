#include "runtime/auth.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
// Only to hand-build tokens (HMAC-SHA256, base64url) and an argon2i hash:
// herald_runtime links libsodium, so its symbols are on this link line too.
#include <sodium.h>
#include <sys/stat.h>

#include "runtime/errc.hpp"

namespace herald::runtime::auth {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// -- helpers ------------------------------------------------------------------

const std::string test_key = "0123456789abcdef0123456789abcdef"; // 32 bytes

std::string b64url(std::string_view bytes) {
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.size() - 1); // the NUL
  return out;
}

std::string unb64url(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()),
                              out.size(), text.data(), text.size(), nullptr,
                              &len, nullptr,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  out.resize(len);
  return out;
}

std::string hs256(std::string_view key, std::string_view data) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(
      &st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(
      &st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return std::string{reinterpret_cast<const char*>(mac), sizeof mac};
}

// A token with exactly this header and payload text, HMAC-SHA256-signed with
// `key` whatever the header says.
std::string hand_token(std::string_view header, std::string_view payload,
                       std::string_view key = test_key) {
  std::string signing_input = b64url(header) + '.' + b64url(payload);
  return signing_input + '.' + b64url(hs256(key, signing_input));
}

const std::string hs256_header = R"({"alg":"HS256","typ":"JWT"})";

std::string claims_json(nlohmann::json overrides = nlohmann::json::object(),
                        std::vector<std::string> drop = {}) {
  nlohmann::json j = {{"iss", "herald"},
                      {"sub", "alice"},
                      {"iat", 1000},
                      {"exp", 4600},
                      {"jti", "abc"}};
  for (auto& [k, v] : overrides.items())
    j[k] = v;
  for (const auto& k : drop)
    j.erase(k);
  return j.dump();
}

std::vector<std::string> parts(const std::string& token) {
  std::vector<std::string> out{""};
  for (char c : token)
    if (c == '.')
      out.emplace_back();
    else
      out.back() += c;
  return out;
}

// The error's message when `r` failed with errc::unauthorized and no field;
// a marker otherwise.
template <class T>
std::string unauthorized_message(const caf::expected<T>& r) {
  if (r)
    return "<accepted>";
  auto e = describe(r.error());
  if (e.code != errc::unauthorized)
    return "<code " + std::string{to_string(e.code)} + ">";
  if (!e.field.empty())
    return "<field " + e.field + ">";
  return e.message;
}

class temp_dir {
public:
  temp_dir() {
    path_ = fs::temp_directory_path() / ("herald-auth-test-" + random_token(9));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

mode_t mode_of(const fs::path& p) {
  struct stat st = {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::string read_file(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

void put_file(const fs::path& p, std::string_view content, mode_t mode) {
  {
    std::ofstream out{p, std::ios::binary | std::ios::trunc};
    out << content;
  }
  ASSERT_EQ(::chmod(p.c_str(), mode), 0);
}

// -- passwords ----------------------------------------------------------------

TEST(AuthPassword, HashVerifyRoundTrip) {
  auto h = hash_password("correct horse battery staple");
  ASSERT_TRUE(h) << to_string(h.error());
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *h;
  EXPECT_TRUE(is_password_hash(*h));
  EXPECT_TRUE(verify_password(*h, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(*h, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(*h, "Correct horse battery staple"));
  EXPECT_FALSE(verify_password(*h, ""));
}

TEST(AuthPassword, SaltMakesEveryHashDifferent) {
  auto a = hash_password("hunter2");
  auto b = hash_password("hunter2");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verify_password(*a, "hunter2"));
  EXPECT_TRUE(verify_password(*b, "hunter2"));
}

TEST(AuthPassword, LengthLimits) {
  for (const std::string& bad : {std::string{}, std::string(1025, 'x')}) {
    auto r = hash_password(bad);
    ASSERT_FALSE(r) << bad.size();
    auto e = describe(r.error());
    EXPECT_EQ(e.code, errc::invalid_field);
    EXPECT_EQ(e.message, "password must be 1-1024 bytes");
    EXPECT_EQ(e.field, "/password");
  }
  auto longest = hash_password(std::string(1024, 'x'));
  ASSERT_TRUE(longest);
  EXPECT_TRUE(verify_password(*longest, std::string(1024, 'x')));
  EXPECT_FALSE(verify_password(*longest, std::string(1025, 'x')));
  auto shortest = hash_password("x");
  ASSERT_TRUE(shortest);
  EXPECT_TRUE(verify_password(*shortest, "x"));
  // Bytes are bytes: NULs and non-UTF-8 are part of the password.
  const std::string odd{"a\0b\xff", 4};
  auto h = hash_password(odd);
  ASSERT_TRUE(h);
  EXPECT_TRUE(verify_password(*h, odd));
  EXPECT_FALSE(verify_password(*h, "a"));
}

TEST(AuthPassword, MalformedHashesAreFalse) {
  auto h = hash_password("pw");
  ASSERT_TRUE(h);
  const std::string good = *h;
  std::string flipped = good;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  const std::string bad[] = {
      "",
      "pw",
      "$argon2id$",
      "$argon2id$v=19$m=19456,t=2,p=1$",
      good + "$",
      std::string{good}.insert(20, 1, '\0'),
      "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
      "$argon2d$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$"
      "iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
      "$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHQ$"
      "iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
      // Beyond the cost bounds (1 GiB, t 32): refused without running.
      "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$"
      "iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
      "$argon2id$v=19$m=19456,t=1000,p=1$c29tZXNhbHQ$"
      "iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
      "$argon2id$v=19$m=99999999999,t=2,p=1$c29tZXNhbHQ$"
      "iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
      std::string(200, '$'),
  };
  for (const auto& b : bad) {
    EXPECT_FALSE(is_password_hash(b)) << b;
    EXPECT_FALSE(verify_password(b, "pw")) << b;
  }
  // Well-formed but not this password's: a hash, yet no match.
  EXPECT_TRUE(is_password_hash(flipped));
  EXPECT_FALSE(verify_password(flipped, "pw"));
  // Cut or extended output: argon2 allows other output lengths, so these may
  // parse, but they never match.
  EXPECT_FALSE(verify_password(good.substr(0, good.size() - 5), "pw"));
  EXPECT_FALSE(verify_password(good + "A", "pw"));
  EXPECT_TRUE(verify_password(good, "pw"));
}

TEST(AuthPassword, Argon2iVerifiesButIsNotAPrecomputedHash) {
  char out[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(out, "pw", 2, 3, 8u << 20,
                                  crypto_pwhash_ALG_ARGON2I13),
            0);
  const std::string argon2i = out;
  ASSERT_EQ(argon2i.rfind("$argon2i$", 0), 0u);
  EXPECT_TRUE(verify_password(argon2i, "pw"));
  EXPECT_FALSE(verify_password(argon2i, "pW"));
  EXPECT_FALSE(is_password_hash(argon2i));
}

// -- tokens -------------------------------------------------------------------

TEST(AuthToken, RandomTokensAreBase64UrlWithoutDots) {
  const auto a = random_token();
  const auto b = random_token();
  EXPECT_EQ(a.size(), 43u); // 32 bytes, no padding
  EXPECT_NE(a, b);
  EXPECT_EQ(random_token(16).size(), 22u);
  EXPECT_EQ(random_token(0), "");
  EXPECT_EQ(unb64url(a).size(), 32u);
  for (const auto& t : {a, b, random_token(1), random_token(1000)})
    for (char c : t)
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                  c == '_')
          << t;
}

TEST(AuthToken, DigestIsLowerHexBlake2b256) {
  EXPECT_EQ(token_digest(""),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(token_digest("abc"),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  const auto t = random_token();
  const auto d = token_digest(t);
  EXPECT_EQ(d, token_digest(t));
  EXPECT_EQ(d.size(), 64u);
  EXPECT_TRUE(std::all_of(d.begin(), d.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }));
  EXPECT_NE(d, token_digest(t + "x"));
}

TEST(AuthToken, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret "));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal(std::string_view{"a\0b", 3},
                                  std::string_view{"a\0b", 3}));
  EXPECT_FALSE(constant_time_equal(std::string_view{"a\0b", 3},
                                   std::string_view{"a\0c", 3}));
}

// -- secret files -------------------------------------------------------------

TEST(AuthSecretFile, WritesMode0600AtomicallyAndOverwrites) {
  temp_dir dir;
  const auto file = dir.path() / "secret";
  ASSERT_FALSE(write_secret_file(file, "first"));
  EXPECT_EQ(read_file(file), "first");
  EXPECT_EQ(mode_of(file), 0600u);
  ASSERT_FALSE(write_secret_file(file, std::string{"x\0y", 3}));
  EXPECT_EQ(read_file(file), std::string("x\0y", 3));
  EXPECT_EQ(mode_of(file), 0600u);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator{dir.path()},
                          fs::directory_iterator{}),
            1);
}

TEST(AuthSecretFile, ModeIs0600WhateverTheUmask) {
  temp_dir dir;
  const auto file = dir.path() / "secret";
  const mode_t old = ::umask(0777);
  auto err = write_secret_file(file, "content");
  ::umask(old);
  ASSERT_FALSE(err) << to_string(err);
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(read_file(file), "content");
}

TEST(AuthSecretFile, ErrorNamesThePath) {
  temp_dir dir;
  const auto file = dir.path() / "missing-dir" / "secret";
  auto err = write_secret_file(file, "x");
  ASSERT_TRUE(err);
  auto e = describe(err);
  EXPECT_EQ(e.code, errc::internal);
  EXPECT_NE(e.message.find((dir.path() / "missing-dir").string()),
            std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("No such file or directory"), std::string::npos)
      << e.message;
}

TEST(AuthKeyFile, CreatedWith32Bytes0600AndReloadedIdentical) {
  temp_dir dir;
  const auto file = dir.path() / "jwt.key";
  auto key = load_or_create_key(file);
  ASSERT_TRUE(key) << to_string(key.error());
  EXPECT_EQ(key->size(), 32u);
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(read_file(file), *key);
  auto again = load_or_create_key(file);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *key);
  temp_dir other;
  auto fresh = load_or_create_key(other.path() / "jwt.key");
  ASSERT_TRUE(fresh);
  EXPECT_NE(*fresh, *key);
}

TEST(AuthKeyFile, GroupReadableFileIsTightenedTo0600) {
  temp_dir dir;
  const auto file = dir.path() / "jwt.key";
  const std::string content(40, 'k');
  put_file(file, content, 0644);
  ASSERT_EQ(mode_of(file), 0644u);
  auto key = load_or_create_key(file);
  ASSERT_TRUE(key) << to_string(key.error());
  EXPECT_EQ(*key, content);
  EXPECT_EQ(mode_of(file), 0600u);
  // An owner-only mode is left alone.
  ASSERT_EQ(::chmod(file.c_str(), 0400), 0);
  ASSERT_TRUE(load_or_create_key(file));
  EXPECT_EQ(mode_of(file), 0400u);
}

TEST(AuthKeyFile, TooShortOrNotAFileIsAnError) {
  temp_dir dir;
  const auto file = dir.path() / "jwt.key";
  put_file(file, std::string(31, 'k'), 0600);
  auto key = load_or_create_key(file);
  ASSERT_FALSE(key);
  auto e = describe(key.error());
  EXPECT_EQ(e.code, errc::internal);
  EXPECT_NE(e.message.find(file.string()), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("31 bytes"), std::string::npos) << e.message;
  EXPECT_EQ(read_file(file), std::string(31, 'k')); // not replaced

  put_file(file, "", 0600);
  EXPECT_FALSE(load_or_create_key(file));
  put_file(file, std::string(32, 'k'), 0600);
  EXPECT_TRUE(load_or_create_key(file));
  put_file(file, std::string(65 * 1024, 'k'), 0600);
  EXPECT_FALSE(load_or_create_key(file));

  auto as_dir = load_or_create_key(dir.path());
  ASSERT_FALSE(as_dir);
  EXPECT_EQ(describe(as_dir.error()).code, errc::internal);
  EXPECT_FALSE(load_or_create_key(dir.path() / "no-such-dir" / "jwt.key"));
}

// -- JWT ----------------------------------------------------------------------

TEST(AuthJwt, IssueVerifyRoundTrip) {
  const jwt_codec codec{test_key};
  const auto token = codec.issue("alice", 1000, 3600);
  ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2) << token;
  auto p = parts(token);
  auto header = nlohmann::json::parse(unb64url(p[0]));
  EXPECT_EQ(header.at("alg"), "HS256");
  auto payload = nlohmann::json::parse(unb64url(p[1]));
  EXPECT_EQ(payload.at("iss"), "herald");
  EXPECT_EQ(payload.at("sub"), "alice");
  EXPECT_EQ(payload.at("iat"), 1000);
  EXPECT_EQ(payload.at("exp"), 4600);

  auto claims = codec.verify(token, 1000);
  ASSERT_TRUE(claims) << to_string(claims.error());
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->issued_at, 1000);
  EXPECT_EQ(claims->expires_at, 4600);
  EXPECT_EQ(claims->id.size(), 22u); // 16 random bytes
  EXPECT_EQ(claims->id, payload.at("jti"));
  EXPECT_NE(codec.issue("alice", 1000, 3600), token); // fresh jti
  // Any codec with the same key accepts it.
  EXPECT_TRUE(jwt_codec{test_key}.verify(token, 4599));
  // Unicode and punctuation in the subject survive.
  auto odd = codec.verify(codec.issue("zoë \"q\" \\ .x", 0, 10), 5);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->subject, "zoë \"q\" \\ .x");
}

TEST(AuthJwt, ExpiresAtExp) {
  const jwt_codec codec{test_key};
  const auto token = codec.issue("alice", 1000, 3600);
  EXPECT_TRUE(codec.verify(token, 4599));
  EXPECT_EQ(unauthorized_message(codec.verify(token, 4600)), "token expired");
  EXPECT_EQ(unauthorized_message(codec.verify(token, 100000)), "token expired");
  EXPECT_EQ(
      unauthorized_message(codec.verify(codec.issue("alice", 1000, 0), 1000)),
      "token expired");
}

TEST(AuthJwt, TamperingBreaksTheSignature) {
  const jwt_codec codec{test_key};
  const auto token = codec.issue("alice", 1000, 3600);
  auto p = parts(token);
  // Payload swapped for bob's, signature kept.
  const auto bob = b64url(claims_json({{"sub", "bob"}}));
  EXPECT_EQ(
      unauthorized_message(codec.verify(p[0] + '.' + bob + '.' + p[2], 1000)),
      "bad token signature");
  // A payload lengthened by the issuer's own bytes.
  auto payload = nlohmann::json::parse(unb64url(p[1]));
  payload["exp"] = 999999;
  EXPECT_EQ(unauthorized_message(codec.verify(
                p[0] + '.' + b64url(payload.dump()) + '.' + p[2], 1000)),
            "bad token signature");
  // One signature character changed (the first: the last carries padding
  // bits, where a change can make the encoding non-canonical instead).
  auto sig = p[2];
  sig[0] = sig[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(
      unauthorized_message(codec.verify(p[0] + '.' + p[1] + '.' + sig, 1000)),
      "bad token signature");
  // Signature cut short, or missing.
  EXPECT_EQ(unauthorized_message(codec.verify(
                p[0] + '.' + p[1] + '.' + p[2].substr(0, 40), 1000)),
            "bad token signature");
  EXPECT_EQ(unauthorized_message(codec.verify(p[0] + '.' + p[1] + '.', 1000)),
            "bad token signature");
}

TEST(AuthJwt, OtherKeysSignatureIsBad) {
  const jwt_codec mine{test_key};
  const jwt_codec theirs{std::string(32, 'z')};
  EXPECT_EQ(unauthorized_message(
                mine.verify(theirs.issue("alice", 1000, 3600), 1000)),
            "bad token signature");
  EXPECT_EQ(unauthorized_message(mine.verify(
                hand_token(hs256_header, claims_json(), "another key"), 1000)),
            "bad token signature");
  // A key that is a prefix of ours is another key.
  EXPECT_EQ(
      unauthorized_message(mine.verify(
          jwt_codec{test_key.substr(0, 31)}.issue("alice", 1000, 3600), 1000)),
      "bad token signature");
}

TEST(AuthJwt, HandBuiltTokenWithEveryClaimIsAccepted) {
  // Proves hand_token signs like the codec, so the rejections below are
  // about what they change and nothing else.
  const jwt_codec codec{test_key};
  auto ok = codec.verify(hand_token(hs256_header, claims_json()), 1000);
  ASSERT_TRUE(ok) << to_string(ok.error());
  EXPECT_EQ(ok->subject, "alice");
  EXPECT_EQ(ok->id, "abc");
  // typ is optional, jti too.
  ok = codec.verify(hand_token(R"({"alg":"HS256"})", claims_json({}, {"jti"})),
                    1000);
  ASSERT_TRUE(ok) << to_string(ok.error());
  EXPECT_EQ(ok->id, "");
  // Negative and large times are fine as long as they are integers.
  ok = codec.verify(
      hand_token(hs256_header,
                 claims_json({{"iat", -5}, {"exp", int64_t{1} << 60}})),
      1000);
  ASSERT_TRUE(ok) << to_string(ok.error());
  EXPECT_EQ(ok->issued_at, -5);
  EXPECT_EQ(ok->expires_at, int64_t{1} << 60);
}

TEST(AuthJwt, AlgNoneIsUnsupported) {
  const jwt_codec codec{test_key};
  const auto token = codec.issue("alice", 1000, 3600);
  const auto p = parts(token);
  const std::string none_header = "eyJhbGciOiJub25lIn0"; // {"alg":"none"}
  ASSERT_EQ(unb64url(none_header), R"({"alg":"none"})");
  EXPECT_EQ(
      unauthorized_message(codec.verify(none_header + '.' + p[1] + '.', 1000)),
      "unsupported token algorithm");
  EXPECT_EQ(unauthorized_message(
                codec.verify(none_header + '.' + p[1] + '.' + p[2], 1000)),
            "unsupported token algorithm");
  for (const char* alg : {"None", "NONE", "nOnE"})
    EXPECT_EQ(unauthorized_message(codec.verify(
                  b64url(std::string{R"({"alg":")"} + alg + R"("})") + '.' +
                      p[1] + '.',
                  1000)),
              "unsupported token algorithm")
        << alg;
}

TEST(AuthJwt, EveryOtherAlgIsUnsupported) {
  const jwt_codec codec{test_key};
  for (const char* alg : {"HS512", "HS384", "RS256", "ES256", "PS256", "EdDSA",
                          "hs256", "HS256 ", "", "HS2561"}) {
    const auto header = nlohmann::json{{"alg", alg}, {"typ", "JWT"}}.dump();
    // Signed with HMAC-SHA256 under our key: still refused on the header.
    EXPECT_EQ(unauthorized_message(
                  codec.verify(hand_token(header, claims_json()), 1000)),
              "unsupported token algorithm")
        << alg;
  }
}

TEST(AuthJwt, GarbageIsMalformed) {
  const jwt_codec codec{test_key};
  const auto token = codec.issue("alice", 1000, 3600);
  const auto p = parts(token);
  const std::string bad[] = {
      "",
      "garbage",
      ".",
      "..",
      "...",
      "a.b",
      "a.b.c",
      token + ".",
      token + "." + p[2],
      "." + p[1] + "." + p[2],
      p[0] + ".." + p[2],
      " " + token,
      token + "\n",
      token + "=",
      p[0] + "=." + p[1] + "." + p[2],
      p[0] + '.' + p[1] + "+." + p[2],
      p[0] + '.' + p[1] + '.' + p[2].substr(0, 42) + "/",
      std::string{"\0", 1} + token,
      std::string(9000, 'A'),
      std::string(8193, '.'),
      p[0] + "." + std::string(9000, 'A') + "." + p[2],
      b64url("not json") + '.' + p[1] + '.' + p[2],
      b64url("[\"HS256\"]") + '.' + p[1] + '.' + p[2],
      b64url("{\"alg\":\"HS256\"") + '.' + p[1] + '.' + p[2],
      p[0] + '.' + b64url("not json") + '.' + p[2],
      p[0] + '.' + b64url("[]") + '.' + p[2],
      p[0] + '.' + b64url("\"alice\"") + '.' + p[2],
  };
  for (const auto& t : bad)
    EXPECT_EQ(unauthorized_message(codec.verify(t, 1000)), "malformed token")
        << t.substr(0, 200);
}

TEST(AuthJwt, OverSizeIsMalformedEvenWhenSigned) {
  const jwt_codec codec{test_key};
  auto big = [&](size_t sub_size) {
    return hand_token(hs256_header,
                      claims_json({{"sub", std::string(sub_size, 'a')}}));
  };
  size_t n = 6000;
  while (big(n + 1).size() <= max_token_size)
    ++n;
  ASSERT_EQ(big(n).size() <= max_token_size, true);
  EXPECT_TRUE(codec.verify(big(n), 1000));
  ASSERT_GT(big(n + 1).size(), max_token_size);
  EXPECT_EQ(unauthorized_message(codec.verify(big(n + 1), 1000)),
            "malformed token");
}

TEST(AuthJwt, BadHeaderFieldsAreMalformed) {
  const jwt_codec codec{test_key};
  for (const char* header :
       {R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":256})",
        R"({"alg":["HS256"]})", R"({"alg":"HS256","typ":"JWS"})",
        R"({"alg":"HS256","typ":1})",
        R"({"alg":"HS256","crit":["exp"],"exp":1})"})
    EXPECT_EQ(unauthorized_message(
                  codec.verify(hand_token(header, claims_json()), 1000)),
              "malformed token")
        << header;
}

TEST(AuthJwt, BadClaimsAreMalformedEvenWhenSigned) {
  const jwt_codec codec{test_key};
  const std::vector<std::string> payloads = {
      claims_json({}, {"exp"}),
      claims_json({}, {"iat"}),
      claims_json({}, {"sub"}),
      claims_json({}, {"iss"}),
      claims_json({{"iss", "someone-else"}}),
      claims_json({{"iss", "Herald"}}),
      claims_json({{"iss", nullptr}}),
      claims_json({{"sub", ""}}),
      claims_json({{"sub", 42}}),
      claims_json({{"sub", nlohmann::json::array({"alice"})}}),
      claims_json({{"exp", "4600"}}),
      claims_json({{"exp", 4600.5}}),
      claims_json({{"exp", 4600.0}}),
      claims_json({{"exp", true}}),
      claims_json({{"exp", nullptr}}),
      claims_json({{"exp", uint64_t{1} << 63}}),
      claims_json({{"iat", "1000"}}),
      claims_json({{"jti", 7}}),
      R"({"iss":"herald","sub":"alice","iat":1000,"exp":4.6e3})",
      R"({"iss":"herald","sub":"alice","iat":1000,"exp":99999999999999999999999})",
  };
  for (const auto& payload : payloads)
    EXPECT_EQ(unauthorized_message(
                  codec.verify(hand_token(hs256_header, payload), 1000)),
              "malformed token")
        << payload;
}

TEST(AuthJwt, EmptyKeyIssuesNothingAndAcceptsNothing) {
  const jwt_codec empty{""};
  EXPECT_EQ(empty.issue("alice", 1000, 3600), "");
  EXPECT_EQ(unauthorized_message(empty.verify(
                hand_token(hs256_header, claims_json(), ""), 1000)),
            "bad token signature");
  const jwt_codec codec{test_key};
  EXPECT_EQ(codec.issue("", 1000, 3600), "");
  EXPECT_EQ(codec.issue(std::string{"a\0b", 3}, 1000, 3600), "");
  EXPECT_EQ(codec.issue("alice", INT64_MAX, 1), ""); // exp would overflow
}

TEST(AuthJwt, ServiceTokensHaveNoDot) {
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(random_token().find('.'), std::string::npos);
  const auto jwt = jwt_codec{test_key}.issue("alice", 0, 60);
  EXPECT_EQ(std::count(jwt.begin(), jwt.end(), '.'), 2);
}

// -- login limiter ------------------------------------------------------------

using tp = login_limiter::clock::time_point;
const tp t0 = tp{} + 1000h;

TEST(AuthLimiter, FiveFailuresBlockThePairOnly) {
  login_limiter lim;
  for (int i = 0; i < 4; ++i) {
    lim.record_failure("alice", "ip1", t0 + i * 1s);
    EXPECT_FALSE(lim.blocked("alice", "ip1", t0 + i * 1s)) << i;
  }
  lim.record_failure("alice", "ip1", t0 + 4s);
  auto wait = lim.blocked("alice", "ip1", t0 + 4s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 56s); // the first failure leaves the window at t0 + 60 s
  EXPECT_FALSE(lim.blocked("alice", "ip2", t0 + 4s));
  EXPECT_FALSE(lim.blocked("bob", "ip1", t0 + 4s));
  // Names and ips do not bleed into each other through the pair key.
  EXPECT_FALSE(lim.blocked("alic", "eip1", t0 + 4s));
  EXPECT_FALSE(lim.blocked("", "aliceip1", t0 + 4s));
}

TEST(AuthLimiter, WindowExpiryUnblocks) {
  login_limiter lim;
  for (int i = 0; i < 5; ++i)
    lim.record_failure("alice", "ip1", t0 + i * 1s);
  EXPECT_EQ(lim.blocked("alice", "ip1", t0 + 59s), 1s);
  EXPECT_EQ(lim.blocked("alice", "ip1", t0 + 59s + 1ms), 1s); // rounded up
  EXPECT_EQ(lim.blocked("alice", "ip1", t0 + 58s + 500ms), 2s);
  EXPECT_FALSE(lim.blocked("alice", "ip1", t0 + 60s));
  // One more failure re-blocks until the next-oldest leaves the window.
  lim.record_failure("alice", "ip1", t0 + 60s);
  EXPECT_EQ(lim.blocked("alice", "ip1", t0 + 60s), 1s);
  EXPECT_FALSE(lim.blocked("alice", "ip1", t0 + 61s));
  EXPECT_FALSE(lim.blocked("alice", "ip1", t0 + 1h));
}

TEST(AuthLimiter, SuccessClearsThePair) {
  login_limiter lim;
  for (int i = 0; i < 5; ++i)
    lim.record_failure("alice", "ip1", t0);
  ASSERT_TRUE(lim.blocked("alice", "ip1", t0));
  lim.record_success("alice", "ip1", t0);
  EXPECT_FALSE(lim.blocked("alice", "ip1", t0));
  for (int i = 0; i < 4; ++i)
    lim.record_failure("alice", "ip1", t0);
  EXPECT_FALSE(lim.blocked("alice", "ip1", t0)); // counting from zero again
  lim.record_success("nobody", "ip9", t0);       // unknown pair: no-op
}

TEST(AuthLimiter, TwentyFailuresFromOneIpBlockTheIp) {
  login_limiter lim;
  for (int i = 0; i < 19; ++i)
    lim.record_failure("user" + std::to_string(i), "ip1", t0 + i * 100ms);
  EXPECT_FALSE(lim.blocked("carol", "ip1", t0 + 2s));
  lim.record_failure("user19", "ip1", t0 + 2s);
  auto wait = lim.blocked("carol", "ip1", t0 + 2s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 58s);
  EXPECT_FALSE(lim.blocked("carol", "ip2", t0 + 2s));
  // A success clears the pair, not the ip total.
  lim.record_success("carol", "ip1", t0 + 2s);
  lim.record_success("user0", "ip1", t0 + 2s);
  EXPECT_TRUE(lim.blocked("carol", "ip1", t0 + 2s));
  EXPECT_TRUE(lim.blocked("user0", "ip1", t0 + 2s));
  EXPECT_FALSE(lim.blocked("carol", "ip1", t0 + 60s));
}

TEST(AuthLimiter, TheLongerOfTwoBlocksWins) {
  login_limiter lim{{.max_failures_per_user_ip = 2,
                     .max_failures_per_ip = 3,
                     .window = 100s,
                     .max_entries = 100}};
  lim.record_failure("bob", "ip1", t0);
  lim.record_failure("alice", "ip1", t0 + 10s);
  lim.record_failure("alice", "ip1", t0 + 20s);
  // Pair blocked until t0 + 110 s, ip until t0 + 100 s.
  EXPECT_EQ(lim.blocked("alice", "ip1", t0 + 20s), 90s);
  EXPECT_EQ(lim.blocked("carol", "ip1", t0 + 20s), 80s);
  EXPECT_EQ(lim.blocked("alice", "ip1", t0 + 100s), 10s);
  EXPECT_FALSE(lim.blocked("carol", "ip1", t0 + 100s));
}

TEST(AuthLimiter, ZeroLimitsDisable) {
  login_limiter lim{{.max_failures_per_user_ip = 0,
                     .max_failures_per_ip = 0,
                     .window = 60s,
                     .max_entries = 10}};
  for (int i = 0; i < 100; ++i)
    lim.record_failure("alice", "ip1", t0);
  EXPECT_FALSE(lim.blocked("alice", "ip1", t0));
  EXPECT_EQ(lim.entries(), 0u);
}

TEST(AuthLimiter, MemoryStaysBoundedUnderAMillionDistinctFailures) {
  login_limiter lim{{.max_failures_per_user_ip = 5,
                     .max_failures_per_ip = 20,
                     .window = 60s,
                     .max_entries = 1000}};
  size_t most = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    // Many users from a few thousand ips, time moving slowly enough that
    // little expires on its own.
    lim.record_failure("user" + std::to_string(i),
                       "10.0." + std::to_string(i % 4096), t0 + i * 1ms);
    if (i % 997 == 0)
      most = std::max(most, lim.entries());
  }
  most = std::max(most, lim.entries());
  EXPECT_LE(most, 1000u);
  EXPECT_GE(lim.entries(), 900u); // the bound is used, not emptied
  // It still limits afterwards.
  const tp later = t0 + 1'000'000ms;
  for (int i = 0; i < 5; ++i)
    lim.record_failure("alice", "ip1", later);
  EXPECT_TRUE(lim.blocked("alice", "ip1", later));
  EXPECT_LE(lim.entries(), 1000u);
}

TEST(AuthLimiter, ExpiredEntriesAreDropped) {
  login_limiter lim;
  for (int i = 0; i < 10; ++i)
    lim.record_failure("user" + std::to_string(i), "ip" + std::to_string(i),
                       t0 + i * 1s);
  EXPECT_EQ(lim.entries(), 20u);
  // At t0 + 65 s the failures of users 0-5 have left the window.
  lim.record_failure("alice", "ip1", t0 + 65s);
  EXPECT_EQ(lim.entries(), 10u); // users 6-9, alice: pairs and ips
  lim.record_failure("alice", "ip1", t0 + 2h);
  EXPECT_EQ(lim.entries(), 2u);
}

TEST(AuthLimiter, WhenFullTheLeastRecentlyFailedGo) {
  login_limiter lim{{.max_failures_per_user_ip = 2,
                     .max_failures_per_ip = 100,
                     .window = 60s,
                     .max_entries = 4}};
  lim.record_failure("alice", "ip1", t0);
  lim.record_failure("alice", "ip1", t0);
  ASSERT_TRUE(lim.blocked("alice", "ip1", t0));
  lim.record_failure("bob", "ip2", t0 + 1s);
  lim.record_failure("bob", "ip2", t0 + 1s);
  EXPECT_EQ(lim.entries(), 4u);
  ASSERT_TRUE(lim.blocked("bob", "ip2", t0 + 1s));
  // alice fails again: now bob's entries are the least recent.
  lim.record_failure("alice", "ip1", t0 + 2s);
  lim.record_failure("carol", "ip3", t0 + 3s);
  EXPECT_EQ(lim.entries(), 4u);
  EXPECT_TRUE(lim.blocked("alice", "ip1", t0 + 3s));
  EXPECT_FALSE(lim.blocked("bob", "ip2", t0 + 3s)); // evicted
}

TEST(AuthLimiter, BlockedAlwaysReportsAPositiveRetryAfter) {
  login_limiter lim{{.max_failures_per_user_ip = 1,
                     .max_failures_per_ip = 20,
                     .window = 60s,
                     .max_entries = 100}};
  lim.record_failure("alice", "ip1", t0);
  for (auto at : {t0, t0 + 1ms, t0 + 30s, t0 + 59s + 999ms}) {
    auto wait = lim.blocked("alice", "ip1", at);
    ASSERT_TRUE(wait);
    EXPECT_GE(*wait, 1s);
    EXPECT_LE(*wait, 60s);
  }
  EXPECT_EQ(lim.blocked("alice", "ip1", t0), 60s);
  EXPECT_EQ(lim.blocked("alice", "ip1", t0 + 1ms), 60s); // 59.999 s, rounded up
  EXPECT_FALSE(lim.blocked("alice", "ip1", t0 + 60s));
}

TEST(AuthLimiter, ThreadSafe) {
  login_limiter lim{{.max_failures_per_user_ip = 5,
                     .max_failures_per_ip = 1000000,
                     .window = 60s,
                     .max_entries = 500}};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        const auto user = "u" + std::to_string(i % 300);
        const auto ip = "ip" + std::to_string(t);
        lim.record_failure(user, ip, t0);
        (void)lim.blocked(user, ip, t0);
        if (i % 7 == 0)
          lim.record_success(user, ip, t0);
        (void)lim.entries();
      }
    });
  for (auto& th : threads)
    th.join();
  EXPECT_LE(lim.entries(), 500u);
  lim.record_failure("u1", "ip0", t0); // still consistent
}

} // namespace
} // namespace herald::runtime::auth
