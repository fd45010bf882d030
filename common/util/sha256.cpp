#include "common/util/sha256.hpp"

#include <fmt/format.h>

#include <fstream>
#include <vector>

#include "common/util/encoding.hpp"
#include "common/util/error.hpp"

namespace trustnet {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    throw Error("OpenSSL: cannot initialise SHA-256");
}

void Sha256::update(const void* data, size_t size) {
  if (EVP_DigestUpdate(ctx_.get(), data, size) != 1) throw Error("OpenSSL: SHA-256 update failed");
}

Sha256Digest Sha256::digest() {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), digest.data(), &length) != 1 || length != digest.size())
    throw Error("OpenSSL: SHA-256 final failed");
  return digest;
}

std::string Sha256::hex_digest() { return hex_lower(digest()); }

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.hex_digest();
}

Sha256Digest sha256_of(std::span<const uint8_t> data) {
  Sha256 hash;
  hash.update(data.data(), data.size());
  return hash.digest();
}

std::string sha256_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open {}", file.string()));
  Sha256 hash;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) hash.update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(fmt::format("error reading {}", file.string()));
  return hash.hex_digest();
}

}  // namespace trustnet
