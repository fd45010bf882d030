#include "common/release/signing_key.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <vector>

#include "common/handles/bio_handle.hpp"
#include "common/handles/evp_md_ctx.hpp"
#include "common/handles/evp_pkey.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/encoding.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"

namespace trustnet {
namespace fs = std::filesystem;

namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (!code) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

EvpPkey read_key(const fs::path& file, bool is_private) {
  const std::string pem = read_text_file(file);
  Bio bio = memory_bio(pem);
  EvpPkey key(is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                         : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    throw Error(fmt::format("{} is not a PEM {} key", file.string(), is_private ? "private" : "public"),
                ExitCode::bad_input);
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
    throw Error(fmt::format("{} is not an Ed25519 key (make one with `bake keygen`)", file.string()),
                ExitCode::bad_input);
  return key;
}

}  // namespace

void generate_signing_key(const fs::path& private_file, const fs::path& public_file) {
  for (const auto& file : {private_file, public_file})
    if (fs::exists(file))
      throw Error(fmt::format("{} exists; a signing key is never overwritten", file.string()), ExitCode::bad_input);
  EvpPkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) throw Error("OpenSSL: cannot generate an Ed25519 key: " + openssl_error());
  Bio private_pem = memory_bio(), public_pem = memory_bio();
  if (PEM_write_bio_PrivateKey(private_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(public_pem.get(), key.get()) != 1)
    throw Error("OpenSSL: cannot write the key as PEM: " + openssl_error());
  write_file_atomically(private_file, bio_text(private_pem.get()), fs::perms(0600));
  write_file_atomically(public_file, bio_text(public_pem.get()), fs::perms(0644));
}

std::string sign_message(std::string_view message, const fs::path& private_file) {
  EvpPkey key = read_key(private_file, true);
  EvpMdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) throw Error("OpenSSL: out of memory");
  // Ed25519 hashes the message itself: no digest is named.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    throw Error("OpenSSL: sign init: " + openssl_error());
  size_t size = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &size, data, message.size()) != 1)
    throw Error("OpenSSL: sign: " + openssl_error());
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, data, message.size()) != 1)
    throw Error("OpenSSL: sign: " + openssl_error());
  signature.resize(size);
  return signature;
}

bool signature_matches(std::string_view message, std::string_view signature, const fs::path& public_file) {
  EvpPkey key = read_key(public_file, false);
  EvpMdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) throw Error("OpenSSL: out of memory");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    throw Error("OpenSSL: verify init: " + openssl_error());
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                  reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();  // a bad signature leaves an error on the queue
  return rc == 1;
}

namespace {

std::string fingerprint_of(const EvpPkey& key, const fs::path& file) {
  unsigned char raw[32];
  size_t size = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(key.get(), raw, &size) != 1 || size != sizeof(raw))
    throw Error("OpenSSL: cannot read the public key of " + file.string());
  const Sha256Digest digest = sha256_of(std::span<const uint8_t>(raw, size));
  std::string b64 = base64_encode(std::span<const uint8_t>(digest.data(), digest.size()));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

}  // namespace

std::string public_key_fingerprint(const fs::path& public_file) {
  return fingerprint_of(read_key(public_file, false), public_file);
}
std::string signing_key_fingerprint(const fs::path& private_file) {
  return fingerprint_of(read_key(private_file, true), private_file);
}

}  // namespace trustnet
