#pragma once
// SHA-256 digests (OpenSSL EVP), always as 64 lower-case hex digits.
#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "common/handles/evp_md_ctx.hpp"

namespace trustnet {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental hashing for streams of unknown length.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  Sha256Digest digest();     // finishes the hash
  std::string hex_digest();  // finishes the hash

 private:
  EvpMdCtx ctx_;
};

std::string sha256_hex(std::string_view data);
Sha256Digest sha256_of(std::span<const uint8_t> data);
// Reads the file in fixed-size chunks: memory stays flat whatever its size.
std::string sha256_file(const std::filesystem::path& file);
// Copies regular file `from` (never through a symbolic link) to the new file `to` with `mode`,
// hashing it on the way; returns the SHA-256 of what was written.
std::string copy_file_hashing(const std::filesystem::path& from, const std::filesystem::path& to, unsigned mode);

}  // namespace trustnet
