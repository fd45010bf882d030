// Builds the test base images from the Alpine minirootfs fixture in one libguestfs launch:
//   alpine-aarch64.qcow2   GPT: 64 MiB EFI system partition (vfat) + ext4 root labelled "root"
//   alpine-x86_64.qcow2    the same with an x86_64 busybox: Alpine, wrong architecture
//   debian-aarch64.qcow2   the same dressed as Debian: not Alpine
// The fixture's SHA256SUMS is checked first. Usage: make_fixture_base FIXTURE_DIR OUT_DIR
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "baker/execute/guestfs/guestfs_handle.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"

namespace fs = std::filesystem;
using trustnet::Error;

namespace {

const char* kTarball = "alpine-minirootfs-3.20.3-aarch64.tar.gz";

void check(guestfs_h* g, int rc, const std::string& what) {
  if (rc == -1) throw Error(fmt::format("{}: {}", what, guestfs_last_error(g)));
}

void verify_fixture(const fs::path& dir) {
  std::ifstream sums(dir / "SHA256SUMS");
  if (!sums) throw Error(fmt::format("{} has no SHA256SUMS", dir.string()));
  std::string digest, name;
  while (sums >> digest >> name) {
    if (name.front() == '*') name.erase(0, 1);
    if (name != kTarball) continue;
    std::string actual = trustnet::sha256_file(dir / name);
    if (actual != digest)
      throw Error(fmt::format("fixture {} has sha256 {}, SHA256SUMS says {}", name, actual, digest));
    return;
  }
  throw Error(fmt::format("SHA256SUMS does not list {}", kTarball));
}

void make_disk(guestfs_h* g, const std::string& dev, const fs::path& tarball) {
  check(g, guestfs_part_init(g, dev.c_str(), "gpt"), "part_init");
  check(g, guestfs_part_add(g, dev.c_str(), "p", 2048, 2048 + 131072 - 1), "part_add esp");
  check(g, guestfs_part_add(g, dev.c_str(), "p", 2048 + 131072, -34), "part_add root");
  check(g, guestfs_part_set_gpt_type(g, dev.c_str(), 1, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"), "esp type");
  std::string esp = dev + "1", root = dev + "2";
  check(g, guestfs_mkfs(g, "vfat", esp.c_str()), "mkfs vfat");
  check(g, guestfs_mkfs_opts(g, "ext4", root.c_str(), GUESTFS_MKFS_OPTS_LABEL, "root", -1), "mkfs ext4");
  check(g, guestfs_mount(g, root.c_str(), "/"), "mount");
  check(g, guestfs_tar_in_opts(g, tarball.c_str(), "/", GUESTFS_TAR_IN_OPTS_COMPRESS, "gzip", -1), "tar_in");
  const std::string fstab = "LABEL=root\t/\text4\trw,relatime\t0 1\n";
  check(g, guestfs_write(g, "/etc/fstab", fstab.data(), fstab.size()), "write fstab");
  // Instance secrets as a used cloud image may carry them; a bake must remove them.
  check(g, guestfs_mkdir_p(g, "/etc/ssh"), "mkdir /etc/ssh");
  const std::string key = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n";
  check(g, guestfs_write(g, "/etc/ssh/ssh_host_ed25519_key", key.data(), key.size()), "write host key");
  check(g, guestfs_write(g, "/etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAA host\n", 22), "write host key");
  const std::string machine_id = "0123456789abcdef0123456789abcdef\n";
  check(g, guestfs_write(g, "/etc/machine-id", machine_id.data(), machine_id.size()), "write machine-id");
  // Extended attributes, as a distribution's root may carry them: on a file every recipe replaces
  // (the overlay's /etc/motd, which must lose it) and on one no recipe touches (which keeps it).
  // The VM tests hold the derived listing equal to the one read back, so both engines are held
  // to both.
  for (const char* path : {"/etc/motd", "/etc/alpine-release"})
    check(g, guestfs_setxattr(g, "user.trustnet", "kept", 4, path), fmt::format("setxattr {}", path));
  // The programs of Alpine's cloud image that the minirootfs lacks and the appliance's scripts run
  // (e2fsprogs, openssh-keygen), where those packages put them: bake refuses a base without them.
  // This base is never booted; they say so if run.
  const std::string absent = "#!/bin/sh\necho \"$0: a stand-in of the test base\" >&2\nexit 1\n";
  for (const char* program : {"/sbin/mkfs.ext4", "/sbin/e2fsck", "/usr/bin/ssh-keygen"}) {
    check(g, guestfs_write(g, program, absent.data(), absent.size()), fmt::format("write {}", program));
    check(g, guestfs_chmod(g, 0755, program), fmt::format("chmod {}", program));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_fixture_base FIXTURE_DIR OUT_DIR\n";
    return 2;
  }
  try {
    const fs::path fixtures = argv[1], out = argv[2];
    verify_fixture(fixtures);
    fs::create_directories(out);
    const char* names[] = {"alpine-aarch64.qcow2", "alpine-x86_64.qcow2", "debian-aarch64.qcow2"};
    trustnet::baker::GuestfsHandle handle(guestfs_create());
    guestfs_h* g = handle.get();
    if (!g) throw Error("guestfs_create failed");
    for (const char* name : names) {
      fs::path path = out / name;
      fs::remove(path);
      check(g, guestfs_disk_create(g, path.c_str(), "qcow2", 1LL << 30, -1), "disk_create");
      check(g, guestfs_add_drive_opts(g, path.c_str(), GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1), "add_drive");
    }
    check(g, guestfs_launch(g), "launch");
    const fs::path tarball = fixtures / kTarball;
    const char* devices[] = {"/dev/sda", "/dev/sdb", "/dev/sdc"};
    for (const char* dev : devices) {
      make_disk(g, dev, tarball);
      if (std::string(dev) == "/dev/sdb") {
        // Any x86_64 ELF makes inspection see x86_64; the host's own busybox-less true will do.
        check(g, guestfs_rm(g, "/bin/busybox"), "rm busybox");
        check(g, guestfs_upload(g, "/bin/true", "/bin/busybox"), "upload x86_64 busybox");
      }
      if (std::string(dev) == "/dev/sdc") {
        check(g, guestfs_rm(g, "/etc/alpine-release"), "rm alpine-release");
        const std::string os =
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n";
        check(g, guestfs_rm(g, "/etc/os-release"), "rm os-release");
        check(g, guestfs_write(g, "/etc/os-release", os.data(), os.size()), "write os-release");
        check(g, guestfs_write(g, "/etc/debian_version", "12.7\n", 5), "write debian_version");
      }
      check(g, guestfs_umount_all(g), "umount");
    }
    check(g, guestfs_shutdown(g), "shutdown");
    for (const char* name : names) fs::permissions(out / name, fs::perms(0444));
    std::cout << "built " << out.string() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "make_fixture_base: " << e.what() << "\n";
    return 1;
  }
}
