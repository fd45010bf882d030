#include "launcher/identity/ed25519.hpp"

#include <openssl/rand.h>

#include "common/handles/evp_pkey.hpp"
#include "common/util/error.hpp"

namespace trustnet::launcher {

Ed25519Key ed25519_from_seed(std::span<const uint8_t, 32> seed) {
  EvpPkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!key) throw Error("OpenSSL: cannot make an Ed25519 key from its seed");
  Ed25519Key pair;
  std::copy(seed.begin(), seed.end(), pair.seed.begin());
  size_t length = pair.public_key.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pair.public_key.data(), &length) != 1 || length != pair.public_key.size())
    throw Error("OpenSSL: cannot read an Ed25519 public key");
  return pair;
}

Ed25519Key ed25519_generate() {
  std::array<uint8_t, 32> seed{};
  if (RAND_priv_bytes(seed.data(), static_cast<int>(seed.size())) != 1)
    throw Error("OpenSSL: no random bytes for a key");
  Ed25519Key pair = ed25519_from_seed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return pair;
}

}  // namespace trustnet::launcher
