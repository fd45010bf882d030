#include "common/util/text_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace trustnet {

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n')
      out += "\\n";
    else if (byte < 0x20 || byte == 0x7f)
      out += fmt::format("\\x{:02x}", byte);
    else
      out += c;
  }
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_decimal(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<uint64_t> parse_bounded_uint(std::string_view text, uint64_t min, uint64_t max) {
  if (!is_decimal(text) || text.size() > 19) return std::nullopt;  // 19 digits never overflow 64 bits
  uint64_t value = 0;
  for (char c : text) value = value * 10 + static_cast<uint64_t>(c - '0');
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<uint32_t> parse_mode(std::string_view text) {
  if (text.size() < 3 || text.size() > 4) return std::nullopt;
  uint32_t mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    mode = mode * 8 + static_cast<uint32_t>(c - '0');
  }
  return mode;
}

std::optional<uint64_t> parse_size(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t multiplier = 1;
  switch (text.back()) {
    case 'K': multiplier = 1ULL << 10; break;
    case 'M': multiplier = 1ULL << 20; break;
    case 'G': multiplier = 1ULL << 30; break;
    case 'T': multiplier = 1ULL << 40; break;
    default: break;
  }
  if (multiplier != 1) text.remove_suffix(1);
  if (text.empty() || text.size() > 15) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value == 0 || value > (UINT64_MAX / multiplier)) return std::nullopt;
  return value * multiplier;
}

std::string format_size(uint64_t bytes) {
  static constexpr std::array<std::pair<uint64_t, char>, 4> units = {
      {{1ULL << 40, 'T'}, {1ULL << 30, 'G'}, {1ULL << 20, 'M'}, {1ULL << 10, 'K'}}};
  for (auto [unit, suffix] : units)
    if (bytes % unit == 0) return fmt::format("{}{}", bytes / unit, suffix);
  return std::to_string(bytes);
}

}  // namespace trustnet
