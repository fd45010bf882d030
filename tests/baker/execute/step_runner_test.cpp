#include "baker/execute/step_runner.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "baker/execute/ext4/ext4_root.hpp"
#include "baker/output/content_listing.hpp"
#include "baker/output/derived_listing.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "support/alpine_ext4.hpp"
#include "support/memory_root.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

namespace {

// Every kind of step, on paths the Alpine minirootfs has and has not.
Plan every_kind_of_step(const test::TempDir& dir) {
  Plan plan;
  plan.name = "unit";
  const fs::path binary = dir.write("inputs/tool", "#!/bin/sh\necho tool\n");
  dir.write("overlay/etc/conf.d/trustnet", "setting=1\n");
  dir.write("overlay/etc/motd", "overlay motd\n");
  UserSpec warden;
  warden.name = "warden";
  warden.uid = 1100;
  warden.groups = {"wheel"};
  plan.steps = {
      RemoveFiles{"/etc/ssh/ssh_host_*", "host keys are per instance"},
      EmptyFile{"/etc/machine-id"},
      DisableCloudInit{},
      UpdateAccounts{{warden}, {"nobody"}},
      MakeDirectory{"/home/warden/.ssh", 0700, Owner{"warden", "warden"}},
      WriteFile{"/home/warden/.ssh/authorized_keys", "ssh-ed25519 AAAA test\n", 0600, Owner{"warden", "warden"}},
      InstallFile{"/usr/local/bin/tool", binary, std::nullopt, sha256_file(binary), "", std::nullopt, 0755, Owner{},
                  "tool"},
      MakeSymlink{"/usr/bin/tool", "/usr/local/bin/tool"},
      WriteFile{"/etc/motd", "welcome\n", 0644, Owner{}},
      IncludeSshdDropins{},
      UnpackOverlay{dir / "overlay", "/", Owner{}, {}},
  };
  return plan;
}

// Whatever the engine: the edits journaled, applied to the tree's listing before, give its
// listing after.
void check_journal_matches_tree(baker::RootFilesystem& root, const test::TempDir& dir) {
  root.pack_tar(dir / "before.tar");
  const Plan plan = every_kind_of_step(dir);
  ExecutionResult result;
  Progress progress(Verbosity::quiet, "unit");
  ExecuteOptions options{dir.path(), {}, 1700000000};
  apply_plan(root, plan, options, result, progress);
  root.pack_tar(dir / "after.tar");
  Listing derived = parse_mtree(mtree_from_tar(dir / "before.tar"), "before");
  apply_tree_edits(derived, result.edits);
  CHECK(render_mtree(derived) == mtree_from_tar(dir / "after.tar"));

  CHECK(root.read_file("/etc/passwd")->find("warden:x:1100:1100:") != std::string::npos);
  CHECK(root.read_file("/etc/passwd")->find("\nnobody:") == std::string::npos);
  CHECK(root.read_file("/etc/machine-id") == "");
  CHECK(root.lstat("/home/warden/.ssh/authorized_keys").uid == 1100);
  CHECK((root.lstat("/home/warden/.ssh").mode & 07777) == 0700);
  CHECK(root.read_file("/usr/local/bin/tool") == "#!/bin/sh\necho tool\n");
  CHECK(root.is_symlink("/usr/bin/tool"));
  CHECK(root.read_file("/etc/conf.d/trustnet") == "setting=1\n");
  CHECK(root.read_file("/etc/motd.second-name") == "overlay motd\n");  // rewritten in place: both names
  CHECK(root.exists("/etc/cloud/cloud-init.disabled"));
  CHECK(root.glob("/etc/runlevels/*/cloud-init*").empty());
  CHECK(std::any_of(result.notes.begin(), result.notes.end(),
                    [](const std::string& note) { return note.starts_with("cloud-init disabled"); }));
}

void add_cloud_image_parts(baker::RootFilesystem& root) {
  for (const char* folder : {"/etc/ssh", "/etc/runlevels", "/etc/runlevels/default"})
    if (!root.is_dir(folder)) root.mkdir(folder);
  root.write_file("/etc/ssh/ssh_host_ed25519_key", "secret");
  root.write_file("/etc/machine-id", "0123456789abcdef\n");
  root.symlink("/etc/init.d/cloud-init", "/etc/runlevels/default/cloud-init");
}

}  // namespace

TEST_CASE("the executor's steps run on a root in memory, and their journal is the tree's change") {
  test::TempDir dir;
  test::MemoryRoot root = test::MemoryRoot::from_tar(test::minirootfs());
  root.link("/etc/motd", "/etc/motd.second-name");
  add_cloud_image_parts(root);
  check_journal_matches_tree(root, dir);
  CHECK(root.glob("/etc/ssh/ssh_host_*").empty());
  CHECK(root.mtime("/etc/motd") == 1700000000);
}

TEST_CASE("the executor's steps run on the direct engine, and their journal is the tree's change") {
  test::TempDir dir;
  const fs::path image = test::make_alpine_ext4(dir);
  {
    Ext4Root root(image, true, 1700000000);
    add_cloud_image_parts(root);
    check_journal_matches_tree(root, dir);
    root.close();
  }
  CHECK(test::e2fsck_check(image).exit_status == 0);
}

TEST_CASE("a step that fails names what it could not do") {
  test::TempDir dir;
  test::MemoryRoot root = test::MemoryRoot::from_tar(test::minirootfs());
  Plan plan;
  plan.name = "unit";
  plan.steps = {WriteFile{"/etc/x", "x", 0644, Owner{"nobody-here", "root"}}};
  ExecutionResult result;
  Progress progress(Verbosity::quiet, "unit");
  CHECK_THROWS_WITH_AS(apply_plan(root, plan, ExecuteOptions{dir.path(), {}, std::nullopt}, result, progress),
                       "owner 'nobody-here' of /etc/x is not a user in the image's /etc/passwd", Error);
}

TEST_CASE("a base without a program the appliance's scripts run is refused with the list, before any edit") {
  test::TempDir dir;
  test::MemoryRoot root = test::MemoryRoot::from_tar(test::minirootfs());
  Plan plan;
  plan.name = "unit";
  plan.steps = {RequirePrograms{{"mount", "awk", "mkfs.ext4", "findfs", "ssh-keygen"}},
                WriteFile{"/etc/motd", "edited\n", 0644, Owner{}}};
  const std::string motd = *root.read_file("/etc/motd");
  ExecutionResult result;
  Progress progress(Verbosity::quiet, "unit");
  CHECK_THROWS_WITH_AS(apply_plan(root, plan, ExecuteOptions{dir.path(), {}, std::nullopt}, result, progress),
                       doctest::Contains("the base lacks mkfs.ext4, ssh-keygen, which the appliance's own scripts run"),
                       Error);
  CHECK(root.read_file("/etc/motd") == motd);
  // Busybox's links count (mount, awk, findfs); a folder of the name does not.
  root.mkdir("/usr/local/sbin");
  root.mkdir("/usr/local/sbin/ssh-keygen");
  root.write_file("/sbin/mkfs.ext4", "#!/bin/sh\n");
  plan.steps.pop_back();
  CHECK_THROWS_WITH_AS(apply_plan(root, plan, ExecuteOptions{dir.path(), {}, std::nullopt}, result, progress),
                       doctest::Contains("the base lacks ssh-keygen,"), Error);
  root.write_file("/usr/bin/ssh-keygen", "#!/bin/sh\n");
  CHECK_NOTHROW(apply_plan(root, plan, ExecuteOptions{dir.path(), {}, std::nullopt}, result, progress));
}

TEST_CASE("a base where a folder the bake needs is a link says so, not that the folder exists") {
  test::TempDir dir;
  test::MemoryRoot root = test::MemoryRoot::from_tar(test::minirootfs());
  root.symlink("/srv", "/opt/trustnet");
  Plan plan;
  plan.name = "unit";
  plan.steps = {MakeDirectory{"/opt/trustnet/node", 0700, Owner{}}};
  ExecutionResult result;
  Progress progress(Verbosity::quiet, "unit");
  CHECK_THROWS_WITH_AS(
      apply_plan(root, plan, ExecuteOptions{dir.path(), {}, std::nullopt}, result, progress),
      "make /opt/trustnet/node: /opt/trustnet is a symbolic link in the base, where a folder must be; the bake "
      "does not write through links of the base",
      Error);
  CHECK_FALSE(root.exists("/srv/node"));
}
