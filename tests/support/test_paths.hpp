#pragma once
// Locations the tests use, fixed by CMake at configure time.
#include <filesystem>
#include <string>

namespace trustnet::test {

inline std::filesystem::path source_dir() { return TRUSTNET_SOURCE_DIR; }
inline std::filesystem::path fixtures_dir() { return TRUSTNET_FIXTURES_DIR; }
inline std::filesystem::path test_data_dir() { return TRUSTNET_TEST_DATA_DIR; }
inline std::filesystem::path minirootfs() { return fixtures_dir() / "alpine-minirootfs-3.20.3-aarch64.tar.gz"; }

// A valid-looking public key line; the tests never log in with it.
inline const std::string operator_key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHZ0cnVzdG5ldC10ZXN0LW9wZXJhdG9yLWtleS0wMDE test-operator";

}  // namespace trustnet::test
