#pragma once
// RAII owner of an OpenSSL EVP_MD_CTX.
#include <openssl/evp.h>

#include "common/handles/c_handle.hpp"

namespace trustnet {

using EvpMdCtx = CHandle<EVP_MD_CTX, EVP_MD_CTX_free>;

}  // namespace trustnet
