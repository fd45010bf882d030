#include "launcher/identity/openssh_key.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/util/encoding.hpp"
#include "common/util/process.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

TEST_CASE("ssh-keygen reads the private key file and derives the same public key line from it") {
  test::TempDir dir;
  Ed25519Key key = ed25519_generate();
  const auto file = dir / "ssh_host_ed25519_key";
  std::ofstream(file) << openssh_private_key(key, "root@trustnet-node");
  ::chmod(file.c_str(), 0600);  // ssh-keygen refuses a private key others can read
  const std::string derived = run_checked({"ssh-keygen", "-y", "-f", file.string()});
  const std::string ours = openssh_public_key(key, "");
  CHECK(derived.substr(0, ours.size() - 1) == ours.substr(0, ours.size() - 1));
  const std::string fingerprint = run_checked({"ssh-keygen", "-l", "-f", file.string()});
  CHECK(fingerprint.find("root@trustnet-node (ED25519)") != std::string::npos);
}

TEST_CASE("the public key line carries the key type, the wire-encoded key and the comment") {
  auto seed = hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  Ed25519Key key = ed25519_from_seed(std::span<const uint8_t, 32>(seed.data(), 32));
  const std::string line = openssh_public_key(key, "warden@host");
  REQUIRE(line.starts_with("ssh-ed25519 "));
  CHECK(line.substr(line.size() - 13) == " warden@host\n");
  auto blob = base64_decode(line.substr(12, line.size() - 12 - 13));
  REQUIRE(blob.size() == 4 + 11 + 4 + 32);
  CHECK(std::string(blob.begin() + 4, blob.begin() + 15) == "ssh-ed25519");
  CHECK(hex_lower(std::span(blob).subspan(19)) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  // A fixed check number makes the file reproducible; the text is the PEM-like armour of OpenSSH.
  const std::string a = openssh_private_key(key, "c", 7), b = openssh_private_key(key, "c", 7);
  CHECK(a == b);
  CHECK(a.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
  CHECK(a.find("-----END OPENSSH PRIVATE KEY-----\n") == a.size() - 34);
}
