#pragma once
// The pair of golden images every VM-backed test shares: `bake all` of both recipes against the
// base built from the minirootfs fixture, made once per test process (see bake_vm_test.cpp).
#include <filesystem>
#include <string>
#include <vector>

#include "common/util/process.hpp"
#include "support/test_paths.hpp"

namespace trustnet::test {

struct Baked {
  std::string base_sha256_before, base_sha256_after;
  std::filesystem::perms base_perms_after;
  std::filesystem::path out, cache;                        // out/node.qcow2 and out/registry.qcow2
  std::filesystem::path node_override, registry_override;  // local inputs, for the single bakes of the other tests
  ProcessResult all;                                       // bake all, the direct engine
  std::filesystem::path guestfs_out;                       // the same through libguestfs
  ProcessResult guestfs;
  std::vector<std::string> server_log;  // what `bake all` asked the HTTP server for
};

const Baked& baked_images();

// Where the shared bakes keep their inputs (the operator's key, overrides, releases) and cache.
inline std::filesystem::path shared_bake_dir() { return test_data_dir() / "vm-run"; }

// `bake NAME` as the VM tests run it: the repository's recipes, an override layer, the operator's
// key, software emulation; the cache the shared bakes filled unless another is given.
inline std::vector<std::string> bake_args(const std::string& name, const std::filesystem::path& override_path,
                                          const std::filesystem::path& out,
                                          const std::filesystem::path& cache = shared_bake_dir() / "cache") {
  return {TRUSTNET_BAKE_BINARY,
          name,
          "--recipes",
          (source_dir() / "recipes").string(),
          "--override",
          override_path.string(),
          "--ssh-key",
          (shared_bake_dir() / "inputs/operator.pub").string(),
          "--out",
          out.string(),
          "--cache",
          cache.string(),
          "--accel",
          "tcg"};
}

}  // namespace trustnet::test
