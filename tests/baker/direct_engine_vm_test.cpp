// The direct engine on the fixture base, beyond the shared pair of bakes: the same bytes twice as
// an unprivileged user with no kernel in reach, and the fallback to libguestfs for a root it does
// not edit.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <pwd.h>

#include <nlohmann/json.hpp>

#include "baked_images.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/root_filesystem_check.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

fs::path run_dir() { return test::test_data_dir() / "direct-run"; }
fs::path casefold_dir() { return test::test_data_dir() / "casefold-run"; }

}  // namespace

TEST_CASE(
    "the direct engine bakes the same qcow2 bytes twice, as an unprivileged user with no kernel or KVM in reach") {
  const test::Baked& b = test::baked_images();
  REQUIRE(b.all.exit_status == 0);
  fs::remove_all(run_dir());
  fs::create_directories(run_dir());
  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  const std::string uid = std::to_string(nobody->pw_uid), gid = std::to_string(nobody->pw_gid);
  const fs::path home = run_dir() / "home";
  fs::create_directories(home);
  run_checked({"chown", "-R", uid + ":" + gid, run_dir().string()});
  std::vector<std::string> hashes;
  for (const char* out : {"a", "b"}) {
    // As a container CI runner: another user, no /boot, no kernel modules, no /dev/kvm.
    std::vector<std::string> bake = test::bake_args("node", b.node_override, run_dir() / out, run_dir() / "cache");
    const std::string command =
        "mount -t tmpfs none /boot && mount -t tmpfs none /lib/modules && mount --bind /dev/null /dev/kvm && "
        "exec setpriv --reuid=" +
        uid + " --regid=" + gid + " --clear-groups --inh-caps=-all -- env HOME=" + home.string() +
        " SOURCE_DATE_EPOCH=1767225600 " + command_line(bake);
    const ProcessResult r = run_process({"unshare", "--mount", "--propagation", "private", "sh", "-c", command});
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    CHECK(r.err.find("appliance") == std::string::npos);
    const fs::path image = run_dir() / out / "node.qcow2";
    CHECK(fs::status(image).permissions() == fs::perms(0644));
    CHECK(nlohmann::json::parse(read_text_file(run_dir() / out / "node.report.json"))["engine"] == "ext4");
    CHECK(test::root_filesystem_check(image).exit_status == 0);
    hashes.push_back(sha256_file(image));
  }
  CHECK(hashes[0] == hashes[1]);
  // And what scripts/check-reproducible says of two bakes of its own.
  const ProcessResult check = run_process({"/usr/bin/env", "SOURCE_DATE_EPOCH=1767225600",
                                           (test::source_dir() / "scripts/check-reproducible").string(), "node"});
  INFO(check.out);
  CHECK(check.exit_status == 0);
  CHECK(check.out.find("qcow2 files: identical byte for byte") != std::string::npos);
}

TEST_CASE("a base whose root uses a feature the direct engine does not edit is baked through libguestfs, saying why") {
  const test::Baked& b = test::baked_images();
  REQUIRE(b.all.exit_status == 0);
  fs::remove_all(casefold_dir());
  fs::create_directories(casefold_dir());
  // The fixture base with case-folding directories on its root, which the kernel mounts.
  const fs::path raw = casefold_dir() / "casefold.raw", base = casefold_dir() / "casefold.qcow2";
  run_checked({"qemu-img", "convert", "-q", "-O", "raw", (test::test_data_dir() / "alpine-aarch64.qcow2").string(),
               raw.string()});
  const std::string table = run_checked({"/sbin/sfdisk", "-J", raw.string()});
  const uint64_t start = std::stoull(table.substr(table.rfind("\"start\":") + 8));
  run_checked({"/sbin/tune2fs", "-O", "casefold", fmt::format("{}?offset={}", raw.string(), start * 512)});
  fs::remove(base);
  run_checked({"qemu-img", "convert", "-q", "-O", "qcow2", raw.string(), base.string()});
  fs::remove(raw);
  const fs::path override_path = casefold_dir() / "casefold-override.yaml";
  const std::string original = read_text_file(b.node_override);
  const std::string binaries = original.substr(original.find("binaries:"));
  write_file_atomically(override_path,
                        fmt::format("base:\n  path: {}\n  sha256: {}\n{}", base.string(), sha256_file(base), binaries));

  const ProcessResult refused = run_process([&] {
    auto args =
        test::bake_args("node", override_path, casefold_dir() / "casefold-ext4", casefold_dir() / "cache-casefold");
    args.insert(args.end(), {"--engine", "ext4"});
    return args;
  }());
  CHECK(refused.exit_status == 1);
  CHECK(refused.err.find("--engine ext4: the root filesystem uses casefold, which the direct engine does not edit") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(casefold_dir() / "casefold-ext4/node.qcow2"));

  const ProcessResult fallback = run_process(
      test::bake_args("node", override_path, casefold_dir() / "casefold", casefold_dir() / "cache-casefold"));
  INFO(fallback.err);
  REQUIRE(fallback.exit_status == 0);
  CHECK(fallback.err.find("bake node: engine: libguestfs, because the root filesystem uses casefold, which the direct "
                          "engine does not edit\n") != std::string::npos);
  CHECK(nlohmann::json::parse(read_text_file(casefold_dir() / "casefold/node.report.json"))["engine"] == "libguestfs");
  CHECK(test::root_filesystem_check(casefold_dir() / "casefold/node.qcow2").exit_status == 0);
  const ProcessResult diff = run_process({TRUSTNET_BAKE_BINARY, "diff", (b.out / "node.mtree").string(),
                                          (casefold_dir() / "casefold/node.mtree").string()});
  CHECK(diff.out == "no differences\n");
}
