#include "launcher/identity/tls_certificates.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "common/handles/bio_handle.hpp"
#include "common/handles/evp_pkey.hpp"
#include "common/util/error.hpp"
#include "launcher/identity/x509_handle.hpp"

namespace trustnet::launcher {
namespace {

void check(int ok, const char* what) {
  if (ok != 1) throw Error(fmt::format("OpenSSL: cannot {}", what));
}

EvpPkey new_p256_key() {
  EvpPkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) throw Error("OpenSSL: cannot generate an ECDSA P-256 key");
  return key;
}

std::string key_pem(EVP_PKEY* key) {
  Bio bio = memory_bio();
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "write a private key");
  return bio_text(bio.get());
}

std::string certificate_pem(X509* cert) {
  Bio bio = memory_bio();
  check(PEM_write_bio_X509(bio.get(), cert), "write a certificate");
  return bio_text(bio.get());
}

EvpPkey read_key(const std::string& pem) {
  Bio bio = memory_bio(pem);
  EvpPkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw Error("the certificate authority's private key is not a PEM private key");
  return key;
}

X509Cert read_certificate(const std::string& pem) {
  Bio bio = memory_bio(pem);
  X509Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) throw Error("the certificate authority's certificate is not a PEM certificate");
  return cert;
}

// A certificate with a random 128-bit serial, validity from now, and `subject` as its CN.
X509Cert new_certificate(EVP_PKEY* key, const std::string& subject, int valid_days) {
  X509Cert cert(X509_new());
  if (!cert) throw Error("OpenSSL: cannot create a certificate");
  check(X509_set_version(cert.get(), X509_VERSION_3), "set the certificate version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial), "draw a serial number");
  serial[0] &= 0x7f;  // positive
  Bignum number(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!number || !BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert.get())))
    throw Error("OpenSSL: cannot set the serial number");
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(valid_days) * 24 * 3600))
    throw Error("OpenSSL: cannot set the validity");
  check(X509_set_pubkey(cert.get(), key), "set the public key");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("TrustNet"), -1, -1,
                                   0),
        "set the organisation");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(subject.c_str()),
                                   -1, -1, 0),
        "set the common name");
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509Extension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (!extension)
    throw Error(fmt::format("OpenSSL: cannot make the certificate extension {} = {}", OBJ_nid2sn(nid), value));
  check(X509_add_ext(cert, extension.get(), -1), "add a certificate extension");
}

}  // namespace

PemPair create_certificate_authority(const std::string& name, int valid_days) {
  EvpPkey key = new_p256_key();
  X509Cert cert = new_certificate(key.get(), name, valid_days);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())), "set the issuer");
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
    throw Error("OpenSSL: cannot sign the authority's certificate");
  return {certificate_pem(cert.get()), key_pem(key.get())};
}

PemPair issue_server_certificate(const PemPair& authority, const ServerIdentity& server, int valid_days) {
  if (server.dns_names.empty() && server.ip_addresses.empty())
    throw Error(fmt::format("the certificate for {} names no host name and no address", server.common_name));
  EvpPkey authority_key = read_key(authority.private_key);
  X509Cert authority_cert = read_certificate(authority.certificate);
  EvpPkey key = new_p256_key();
  X509Cert cert = new_certificate(key.get(), server.common_name, valid_days);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(authority_cert.get())), "set the issuer");
  std::string names;
  for (const auto& dns : server.dns_names) names += (names.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : server.ip_addresses) names += (names.empty() ? "IP:" : ",IP:") + ip;
  add_extension(cert.get(), authority_cert.get(), NID_subject_alt_name, names);
  add_extension(cert.get(), authority_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), authority_cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), authority_cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), authority_cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), authority_cert.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), authority_key.get(), EVP_sha256()) <= 0)
    throw Error("OpenSSL: cannot sign a server certificate");
  return {certificate_pem(cert.get()), key_pem(key.get())};
}

std::optional<std::string> pem_pair_problem(const PemPair& pair) {
  Bio key_bio = memory_bio(pair.private_key);
  EvpPkey key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) return "the private key is not a PEM private key";
  Bio cert_bio = memory_bio(pair.certificate);
  X509Cert cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return "the certificate is not a PEM certificate";
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return "the private key is not the certificate's";
  }
  return std::nullopt;
}

}  // namespace trustnet::launcher
