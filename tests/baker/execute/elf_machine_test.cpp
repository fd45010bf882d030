#include "baker/execute/elf_machine.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "common/util/process.hpp"

using namespace trustnet::baker;

namespace {

std::string header(char elf_class, char data, uint16_t machine) {
  std::string h(64, '\0');
  h.replace(0, 4,
            "\x7f"
            "ELF");
  h[4] = elf_class;
  h[5] = data;
  h[18] = static_cast<char>(data == 1 ? machine & 0xff : machine >> 8);
  h[19] = static_cast<char>(data == 1 ? machine >> 8 : machine & 0xff);
  return h;
}

}  // namespace

TEST_CASE("ELF headers give libguestfs' architecture names") {
  CHECK(elf_architecture(header(2, 1, 183)) == "aarch64");
  CHECK(elf_architecture(header(2, 1, 62)) == "x86_64");
  CHECK(elf_architecture(header(1, 1, 3)) == "i386");
  CHECK(elf_architecture(header(1, 1, 40)) == "arm");
  CHECK(elf_architecture(header(2, 1, 21)) == "ppc64le");
  CHECK(elf_architecture(header(2, 2, 21)) == "ppc64");
  CHECK(elf_architecture(header(2, 2, 22)) == "s390x");
}

TEST_CASE("what is not an ELF header, or names an unknown machine, gives nothing") {
  CHECK_FALSE(elf_architecture("#!/bin/sh\necho hello world\n"));
  CHECK_FALSE(
      elf_architecture(std::string("\x7f"
                                   "ELF",
                                   4)));
  CHECK_FALSE(elf_architecture(header(3, 1, 183)));
  CHECK_FALSE(elf_architecture(header(2, 1, 0x1234)));
  CHECK_FALSE(elf_architecture(header(1, 1, 183)));  // aarch64 is 64-bit only
}

TEST_CASE("the header of this machine's own shell names this machine's architecture") {
  std::ifstream in("/bin/sh", std::ios::binary);
  std::string bytes(64, '\0');
  in.read(bytes.data(), 64);
  REQUIRE(in.gcount() == 64);
  CHECK(elf_architecture(bytes) ==
        trustnet::run_checked({"uname", "-m"}).substr(0, trustnet::run_checked({"uname", "-m"}).find('\n')));
}
