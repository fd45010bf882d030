#pragma once
// Values written as text, below any rule of the domain (those are common/config/rules.hpp): whole
// numbers, modes and sizes, and text made printable for a one-line message. A check returns the
// Problem, or nothing; a parse the value or the problem.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trustnet {

using Problem = std::optional<std::string>;

// What a parse_* function makes of text: the value, or the problem (then `value` is empty).
template <class T>
struct Parsed {
  T value{};
  Problem problem;
};

// `text` with control characters written as \n or \xNN: a message stays one line.
std::string printable(std::string_view text);
// ASCII letters in lower case, every other byte as it is: for names compared without regard to
// case (HTTP header and scheme names, WWW-Authenticate tokens, sshd keywords).
std::string ascii_lower(std::string_view text);

// Decimal digits only: no sign, no spaces, not empty.
bool is_decimal(std::string_view text);
// A whole number written in decimal digits only, from `min` to `max` (at most 19 digits).
std::optional<uint64_t> parse_bounded_uint(std::string_view text, uint64_t min, uint64_t max);
std::optional<uint32_t> parse_mode(std::string_view text);  // "0750" or "750"
std::optional<uint64_t> parse_size(std::string_view text);  // "50G", "512M", "1073741824"
std::string format_size(uint64_t bytes);

}  // namespace trustnet
