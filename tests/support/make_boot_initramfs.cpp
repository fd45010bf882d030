// Writes the boot test's initramfs (see initramfs.hpp) for scripts/bench-launch.
// Usage: make_boot_initramfs BOOT_PARTS_DIR OUT
#include <cstdio>

#include "common/error.hpp"
#include "initramfs.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_boot_initramfs BOOT_PARTS_DIR OUT\n");
    return 2;
  }
  try {
    trustnet::test::write_boot_initramfs(argv[1], argv[2]);
  } catch (const trustnet::Error& e) {
    std::fprintf(stderr, "make_boot_initramfs: %s\n", e.what());
    return 1;
  }
  return 0;
}
