#pragma once
// RAII owners for building X.509 certificates with OpenSSL: the certificate, an extension, and
// the serial number's big integer.
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace trustnet {

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using X509Cert = std::unique_ptr<X509, X509Deleter>;

struct X509ExtensionDeleter {
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
};
using X509Extension = std::unique_ptr<X509_EXTENSION, X509ExtensionDeleter>;

struct BignumDeleter {
  void operator()(BIGNUM* n) const { BN_free(n); }
};
using Bignum = std::unique_ptr<BIGNUM, BignumDeleter>;

}  // namespace trustnet
