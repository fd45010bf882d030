#pragma once
// RAII owner of an OpenSSL EVP_PKEY.
#include <openssl/evp.h>

#include "common/handles/c_handle.hpp"

namespace trustnet {

using EvpPkey = CHandle<EVP_PKEY, EVP_PKEY_free>;

}  // namespace trustnet
