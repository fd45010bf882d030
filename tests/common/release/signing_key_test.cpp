#include "common/release/signing_key.hpp"

#include <doctest/doctest.h>

#include <fstream>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

TEST_CASE("a signing key pair signs messages that OpenSSL and we verify, and no other key or message verifies") {
  test::TempDir dir;
  const fs::path key = dir / "release.key", pub = dir / "release.key.pub";
  generate_signing_key(key, pub);
  CHECK((fs::status(key).permissions() & fs::perms::all) == fs::perms(0600));
  CHECK_THROWS_WITH_AS(generate_signing_key(key, dir / "x.pub"),
                       (key.string() + " exists; a signing key is never overwritten").c_str(), Error);
  CHECK(run_checked({"openssl", "pkey", "-in", key.string(), "-noout", "-text"}).find("ED25519 Private-Key") !=
        std::string::npos);

  const std::string message = "{\"appliance\":\"node\"}\n";
  const std::string signature = sign_message(message, key);
  CHECK(signature.size() == 64);
  CHECK(signature_matches(message, signature, pub));
  CHECK_FALSE(signature_matches(message + " ", signature, pub));
  std::string flipped = signature;
  flipped[10] ^= 0x01;
  CHECK_FALSE(signature_matches(message, flipped, pub));

  // OpenSSL's own tool agrees.
  std::ofstream(dir / "message", std::ios::binary) << message;
  std::ofstream(dir / "message.sig", std::ios::binary) << signature;
  CHECK(run_process({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub.string(), "-rawin", "-in",
                     (dir / "message").string(), "-sigfile", (dir / "message.sig").string()})
            .exit_status == 0);

  generate_signing_key(dir / "other.key", dir / "other.key.pub");
  CHECK_FALSE(signature_matches(message, signature, dir / "other.key.pub"));
  CHECK(public_key_fingerprint(pub) == signing_key_fingerprint(key));
  CHECK(public_key_fingerprint(pub) != public_key_fingerprint(dir / "other.key.pub"));
  CHECK(public_key_fingerprint(pub).starts_with("SHA256:"));
  CHECK(public_key_fingerprint(pub).size() == 7 + 43);

  // Keys of another kind are named as such.
  run_checked({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
               (dir / "ec.key").string()});
  CHECK_THROWS_WITH_AS(sign_message(message, dir / "ec.key"),
                       ((dir / "ec.key").string() + " is not an Ed25519 key (make one with `bake keygen`)").c_str(),
                       Error);
  CHECK_THROWS_AS(signature_matches(message, signature, key), Error);  // a private key where the public one belongs
}
