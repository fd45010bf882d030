#pragma once
// RAII owner of an OpenSSL EVP_PKEY.
#include <openssl/evp.h>

#include <memory>

namespace trustnet {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkey = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

}  // namespace trustnet
