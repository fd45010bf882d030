#include "common/util/encoding.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "common/util/error.hpp"

namespace trustnet {

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), bytes.data(), static_cast<int>(bytes.size()));
  if (written < 0 || static_cast<size_t>(written) != text.size()) throw Error("base64 encoding failed");
  return text;
}

std::vector<uint8_t> base64_decode(const std::string& text) {
  if (text.size() % 4 != 0) throw Error(fmt::format("'{}' is not base64: its length is not a multiple of 4", text));
  std::vector<uint8_t> bytes(text.size() / 4 * 3);
  const int written =
      EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (written < 0) throw Error(fmt::format("'{}' is not base64", text));
  // EVP_DecodeBlock keeps the bytes that padding stands for; drop them.
  size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && padding < 2; ++it) ++padding;
  bytes.resize(static_cast<size_t>(written) - padding);
  return bytes;
}

namespace {

std::string hex(std::span<const uint8_t> bytes, const char* digits) {
  std::string text;
  text.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    text += digits[b >> 4];
    text += digits[b & 15];
  }
  return text;
}

}  // namespace

std::string hex_lower(std::span<const uint8_t> bytes) { return hex(bytes, "0123456789abcdef"); }
std::string hex_upper(std::span<const uint8_t> bytes) { return hex(bytes, "0123456789ABCDEF"); }

std::vector<uint8_t> hex_decode(const std::string& text) {
  // The text may be key material: messages give positions, never the text.
  auto value = [&](size_t at) -> int {
    const char c = text[at];
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw Error(fmt::format("character {} of a hexadecimal value is not a hexadecimal digit", at + 1));
  };
  if (text.size() % 2 != 0)
    throw Error(fmt::format("a hexadecimal value has an odd number of digits ({})", text.size()));
  std::vector<uint8_t> bytes(text.size() / 2);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(value(2 * i) << 4 | value(2 * i + 1));
  return bytes;
}

}  // namespace trustnet
