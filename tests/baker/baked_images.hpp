#pragma once
// The pair of golden images every VM-backed test shares: `bake all` of both recipes against the
// base built from the minirootfs fixture, made once per test process (see bake_vm_test.cpp).
#include <filesystem>
#include <string>
#include <vector>

#include "common/util/process.hpp"

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

}  // namespace trustnet::test
