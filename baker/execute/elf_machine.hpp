#pragma once
// The architecture of an ELF binary from its header, in libguestfs' names (file_architecture):
// read from the first bytes in the appliance instead of running file(1) there (about 0.35 s
// under TCG).
#include <optional>
#include <string>
#include <string_view>

namespace trustnet::baker {

// Nothing when `header` is not an ELF header or names a machine not known here.
std::optional<std::string> elf_architecture(std::string_view header);

}  // namespace trustnet::baker
