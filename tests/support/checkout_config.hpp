#pragma once
// The checkout's launcher configuration (launcher/trustnet.yaml) with its state folder and golden
// images (small empty qcow2 files) moved into a test's folder.
#include <filesystem>
#include <regex>
#include <string>

#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "temp_dir.hpp"
#include "test_paths.hpp"

namespace trustnet::test {

inline std::filesystem::path checkout_config_in(const TempDir& dir) {
  std::string text = read_text_file(source_dir() / "launcher/trustnet.yaml");
  text = std::regex_replace(text, std::regex("state: ~/vms"), "state: " + (dir / "vms").string());
  text = std::regex_replace(text, std::regex("\\.\\./out/"), (dir / "out").string() + "/");
  std::filesystem::create_directories(dir / "out");
  for (const char* name : {"node", "registry"})
    run_checked(
        {"qemu-img", "create", "-q", "-f", "qcow2", (dir / "out" / (std::string(name) + ".qcow2")).string(), "1G"});
  return dir.write("trustnet.yaml", text);
}

}  // namespace trustnet::test
