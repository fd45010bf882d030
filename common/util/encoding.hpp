#pragma once
// Byte encodings the key formats need: base64 (RFC 4648, padded) and hexadecimal.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace trustnet {

std::string base64_encode(std::span<const uint8_t> bytes);
std::vector<uint8_t> base64_decode(const std::string& text);  // throws Error on bad input
std::string hex_lower(std::span<const uint8_t> bytes);
std::string hex_upper(std::span<const uint8_t> bytes);
std::vector<uint8_t> hex_decode(const std::string& text);  // throws Error on bad input

}  // namespace trustnet
