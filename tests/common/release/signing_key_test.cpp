#include "common/release/signing_key.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "common/release/minisign.hpp"
#include "common/release/release_verification.hpp"
#include "common/util/encoding.hpp"
#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

const std::string kMessage = "{\"appliance\":\"node\"}\n";
const std::string kComment = "timestamp:1767225600\tfile:node.manifest.json\thashed";

void write_binary(const fs::path& file, const std::string& bytes) { std::ofstream(file, std::ios::binary) << bytes; }

// The real minisign's verdict on `message` with `signature` and `pub`.
ProcessResult minisign_verify_file(const test::TempDir& dir, const std::string& signature, const fs::path& pub) {
  write_binary(dir / "message", kMessage);
  write_binary(dir / "message.minisig", signature);
  return run_process({"minisign", "-Vm", (dir / "message").string(), "-p", pub.string()});
}

}  // namespace

TEST_CASE("bake keygen's keys are minisign's: minisign checks what they sign, and signs with them for us") {
  test::TempDir dir;
  const fs::path key = dir / "release", pub = dir / "release.pub";
  generate_signing_key(key, pub);
  CHECK((fs::status(key).permissions() & fs::perms::all) == fs::perms(0600));
  CHECK((fs::status(pub).permissions() & fs::perms::all) == fs::perms(0644));
  CHECK_THROWS_WITH_AS(generate_signing_key(key, dir / "x.pub"),
                       (key.string() + " exists; a signing key is never overwritten").c_str(), Error);
  const MinisignPublicKey parsed = parse_minisign_public_key(read_text_file(pub), pub.string());
  CHECK(read_text_file(pub).starts_with("untrusted comment: minisign public key " + key_id_text(parsed.key_id) + "\n"));

  const SigningKey signing = SigningKey::load(key);
  const std::string signature = signing.sign(kMessage, kComment);
  CHECK(signature_matches(kMessage, signature, pub));
  CHECK_FALSE(signature_matches(kMessage + " ", signature, pub));
  std::string flipped = signature;
  flipped[flipped.find('\n') + 20] ^= 0x01;  // inside the signature's base64
  CHECK_FALSE(signature_matches(kMessage, flipped, pub));
  std::string other_comment = signature;
  other_comment.replace(other_comment.find("timestamp:1767225600"), 20, "timestamp:1767225601");
  CHECK_FALSE(signature_matches(kMessage, other_comment, pub));  // the trusted comment is signed too

  // The real minisign agrees, and names the trusted comment.
  const ProcessResult checked = minisign_verify_file(dir, signature, pub);
  CHECK_MESSAGE(checked.exit_status == 0, checked.err);
  CHECK(checked.out.find("Trusted comment: " + kComment) != std::string::npos);
  CHECK(minisign_verify_file(dir, other_comment, pub).exit_status != 0);

  // minisign signs with our secret key, and we check what it wrote.
  write_binary(dir / "message", kMessage);
  const ProcessResult signed_by_minisign = run_process(
      {"minisign", "-S", "-s", key.string(), "-m", (dir / "message").string(), "-x", (dir / "m.minisig").string()});
  REQUIRE_MESSAGE(signed_by_minisign.exit_status == 0, signed_by_minisign.err);
  CHECK(signature_matches(kMessage, read_text_file(dir / "m.minisig"), pub));
  // A legacy (not prehashed) minisign signature verifies too.
  REQUIRE(run_process({"minisign", "-S", "-l", "-s", key.string(), "-m", (dir / "message").string(), "-x",
                       (dir / "legacy.minisig").string()})
              .exit_status == 0);
  CHECK(signature_matches(kMessage, read_text_file(dir / "legacy.minisig"), pub));

  generate_signing_key(dir / "other", dir / "other.pub");
  CHECK_FALSE(signature_matches(kMessage, signature, dir / "other.pub"));
  CHECK(public_key_fingerprint(pub) == signing.fingerprint());
  CHECK(public_key_fingerprint(pub) != public_key_fingerprint(dir / "other.pub"));
  CHECK(public_key_fingerprint(pub).starts_with("SHA256:"));
  CHECK(public_key_fingerprint(pub).size() == 7 + 43);
  CHECK_THROWS_AS(signature_matches(kMessage, signature, key), Error);  // a secret key where the public one belongs
}

TEST_CASE("a key minisign -G made signs with bake, and the PEM keys and raw signatures of older releases still work") {
  test::TempDir dir;
  const fs::path key = dir / "minisign.key", pub = dir / "minisign.pub";
  REQUIRE(run_process({"minisign", "-G", "-W", "-p", pub.string(), "-s", key.string()}).exit_status == 0);
  const SigningKey from_minisign = SigningKey::load(key);
  const std::string signature = from_minisign.sign(kMessage, kComment);
  CHECK(signature_matches(kMessage, signature, pub));
  CHECK(minisign_verify_file(dir, signature, pub).exit_status == 0);
  CHECK(from_minisign.fingerprint() == public_key_fingerprint(pub));

  // An older release's PEM key: it signs in minisign's form now, and checks with its PEM public key.
  const fs::path pem = dir / "old.key", pem_pub = dir / "old.key.pub";
  run_checked({"openssl", "genpkey", "-algorithm", "ED25519", "-out", pem.string()});
  run_checked({"openssl", "pkey", "-in", pem.string(), "-pubout", "-out", pem_pub.string()});
  const SigningKey old = SigningKey::load(pem);
  CHECK(signature_matches(kMessage, old.sign(kMessage, kComment), pem_pub));
  CHECK_FALSE(signature_matches(kMessage, old.sign(kMessage, kComment), pub));
  CHECK(old.fingerprint() == public_key_fingerprint(pem_pub));
  // And the raw Ed25519 signature an older bake wrote (as OpenSSL makes it) verifies as before.
  write_binary(dir / "message", kMessage);
  run_checked({"openssl", "pkeyutl", "-sign", "-inkey", pem.string(), "-rawin", "-in", (dir / "message").string(),
               "-out", (dir / "message.sig").string()});
  const std::string raw = read_text_file(dir / "message.sig");
  CHECK(raw.size() == 64);
  CHECK(signature_matches(kMessage, raw, pem_pub));
  CHECK_FALSE(signature_matches(kMessage + " ", raw, pem_pub));
  CHECK_FALSE(signature_matches(kMessage, raw, pub));

  // Keys of another kind are named as such.
  run_checked({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
               (dir / "ec.key").string()});
  CHECK_THROWS_WITH_AS(SigningKey::load(dir / "ec.key"),
                       ((dir / "ec.key").string() + " is not an Ed25519 key (make one with `bake keygen`)").c_str(),
                       Error);
}

TEST_CASE("a password-protected minisign key without a terminal, or a damaged or hostile key file, is refused") {
  test::TempDir dir;
  const fs::path key = dir / "release", pub = dir / "release.pub";
  generate_signing_key(key, pub);
  const std::string text = read_text_file(key);
  const std::string body = text.substr(text.find('\n') + 1, text.size() - text.find('\n') - 2);
  std::vector<uint8_t> bytes = base64_decode(body);
  const auto rewrite = [&](const std::vector<uint8_t>& changed) {
    return "untrusted comment: changed\n" + base64_encode(changed) + "\n";
  };
  // Encrypted (scrypt), as minisign -G without -W makes it: asked on the terminal, which setsid
  // takes away here.
  std::vector<uint8_t> encrypted = bytes;
  encrypted[2] = 'S';
  encrypted[3] = 'c';
  encrypted[38] = 1;  // opslimit and memlimit within minisign's own
  encrypted[46 + 2] = 1;
  write_binary(dir / "encrypted", rewrite(encrypted));
  fs::permissions(dir / "encrypted", fs::perms(0600));
  const ProcessResult no_terminal =
      run_process({"setsid", "-w", TRUSTNET_BAKE_BINARY, "publish", "node", "--key", (dir / "encrypted").string(),
                   "--out", (dir / "out").string(), "--release", (dir / "release-out").string()});
  CHECK(no_terminal.exit_status == 2);
  CHECK(no_terminal.err.find((dir / "encrypted").string() +
                             " is protected by a password and there is no terminal to ask it on; a copy without "
                             "one (minisign -C -W -s COPY, kept 0600) signs unattended\n") != std::string::npos);
  CHECK(std::count(no_terminal.err.begin(), no_terminal.err.end(), '\n') == 1);
  // Limits that would make the derivation run for ever are refused before it starts.
  std::vector<uint8_t> hostile = encrypted;
  hostile[38 + 7] = 0xff;
  CHECK_THROWS_WITH_AS(parse_minisign_secret_key(rewrite(hostile), "hostile", [] { return std::string("x"); }),
                       doctest::Contains("hostile: its scrypt limits"), Error);
  // A changed byte fails the checksum.
  std::vector<uint8_t> damaged = bytes;
  damaged[60] ^= 1;
  CHECK_THROWS_WITH_AS(parse_minisign_secret_key(rewrite(damaged), "damaged", {}),
                       "damaged: its checksum does not match: the key is damaged", Error);
  CHECK_THROWS_WITH_AS(parse_minisign_public_key("untrusted comment: x\nnot base64!\n", "pub"),
                       "pub: its public key line is not base64", Error);
  CHECK_THROWS_WITH_AS(parse_minisign_signature("untrusted comment: x\n", "sig"),
                       "sig: not a minisign signature (an 'untrusted comment:' line, then 3 more)", Error);
}

TEST_CASE(
    "a signing key is read as every secret: a key file others can read or write, a link or another's is refused") {
  test::TempDir dir;
  const fs::path key = dir / "release";
  generate_signing_key(key, dir / "release.pub");
  CHECK_NOTHROW(SigningKey::load(key));
  for (const int mode : {0644, 0666, 0640}) {
    CAPTURE(mode);
    fs::permissions(key, fs::perms(mode));
    const std::string expected =
        fmt::format("{} is open to its group or others (mode {:04o}); a secret must be 0600", key.string(), mode);
    CHECK_THROWS_WITH_AS(SigningKey::load(key), doctest::Contains(expected.c_str()), Error);
  }
  fs::permissions(key, fs::perms(0600));
  fs::create_symlink(key, dir / "link");
  CHECK_THROWS_AS(SigningKey::load(dir / "link"), Error);
  REQUIRE(::chown(key.c_str(), 65534, 65534) == 0);
  CHECK_THROWS_WITH_AS(SigningKey::load(key), doctest::Contains("is owned by uid 65534, not by you"), Error);
}

TEST_CASE("a release whose signature another key made names both key ids, not a damage") {
  test::TempDir dir;
  const fs::path trusted = dir / "trusted", other = dir / "other";
  generate_signing_key(trusted, dir / "trusted.pub");
  generate_signing_key(other, dir / "other.pub");
  const std::string signature = SigningKey::load(other).sign(kMessage, kComment);
  CHECK_THROWS_WITH_AS(
      check_manifest_signature(kMessage, signature, dir / "trusted.pub", "release r", "node.manifest.json.minisig"),
      doctest::Contains("release r: node.manifest.json.minisig was signed by the key with id "), Error);
  const auto ids = foreign_key_id(signature, dir / "trusted.pub");
  REQUIRE(ids);
  CHECK(ids->first != ids->second);
  CHECK_FALSE(foreign_key_id(SigningKey::load(trusted).sign(kMessage, kComment), dir / "trusted.pub"));
  // The trusted key's own signature, damaged: that is what "altered or damaged" means.
  std::string damaged = SigningKey::load(trusted).sign(kMessage, kComment);
  char& byte = damaged[damaged.find('\n') + 41];
  byte = byte == 'A' ? 'B' : 'A';
  CHECK_THROWS_WITH_AS(
      check_manifest_signature(kMessage, damaged, dir / "trusted.pub", "release r", "node.manifest.json.minisig"),
      doctest::Contains("the signature was altered or damaged"), Error);
}
