// The launcher configuration on arbitrary YAML text.
#include "common/util/error.hpp"
#include "fuzz_input.hpp"
#include "launcher/config/launch_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = trustnet::fuzz::write_input("launch.yaml", data, size);
  try {
    trustnet::launcher::load_launch_config(file);
  } catch (const trustnet::Error&) {
  }
  return 0;
}
