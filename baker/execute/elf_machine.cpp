#include "baker/execute/elf_machine.hpp"

#include <cstdint>

namespace trustnet::baker {

std::optional<std::string> elf_architecture(std::string_view header) {
  if (header.size() < 20 || header.substr(0, 4) !=
                                "\x7f"
                                "ELF")
    return std::nullopt;
  const bool is64 = header[4] == 2, little = header[5] == 1;
  if ((header[4] != 1 && !is64) || (header[5] != 1 && header[5] != 2)) return std::nullopt;
  const auto byte = [&](size_t i) { return static_cast<uint16_t>(static_cast<unsigned char>(header[i])); };
  const uint16_t machine =
      little ? static_cast<uint16_t>(byte(18) | byte(19) << 8) : static_cast<uint16_t>(byte(18) << 8 | byte(19));
  switch (machine) {
    case 183: return is64 ? "aarch64" : std::optional<std::string>{};
    case 62: return is64 ? "x86_64" : std::optional<std::string>{};
    case 3: return "i386";
    case 40: return "arm";
    case 243: return is64 ? "riscv64" : "riscv32";
    case 21: return little ? "ppc64le" : "ppc64";
    case 22: return "s390x";
    default: return std::nullopt;
  }
}

}  // namespace trustnet::baker
