#pragma once
// RAII owners for building X.509 certificates with OpenSSL: the certificate, an extension, and
// the serial number's big integer.
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/handles/c_handle.hpp"

namespace trustnet {

using X509Cert = CHandle<X509, X509_free>;

using X509Extension = CHandle<X509_EXTENSION, X509_EXTENSION_free>;

using Bignum = CHandle<BIGNUM, BN_free>;

}  // namespace trustnet
