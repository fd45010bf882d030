#pragma once
// RAII owner of an OpenSSL EVP_MD_CTX.
#include <openssl/evp.h>

#include <memory>

namespace trustnet {

struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpMdCtx = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;

}  // namespace trustnet
