#include "baker/execute/guestfs/guest_session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include "baker/execute/ext4/gpt_growth.hpp"
#include "baker/execute/guestfs/device_names.hpp"
#include "baker/execute/guestfs/guestfs_strings.hpp"
#include "baker/execute/root_filesystem.hpp"
#include "common/handles/c_handle.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/kvm_check.hpp"

namespace trustnet::baker {
namespace {

using Statns = CHandle<struct guestfs_statns, guestfs_free_statns>;
using Statvfs = CHandle<struct guestfs_statvfs, guestfs_free_statvfs>;

// Whether libguestfs may use KVM under --accel auto: asked of QEMU once per process (a /dev/kvm
// that exists and does not work makes libguestfs fail with a page of debug output). The fallback
// is said once, on stderr, with the reason.
bool kvm_for_appliance() {
  const char* forced = std::getenv("LIBGUESTFS_BACKEND_SETTINGS");
  if (forced && std::string_view(forced).find("force_tcg") != std::string_view::npos) return false;
  const KvmVerdict& kvm = host_kvm();
  static std::once_flag said;
  if (!kvm.works && kvm.device)
    std::call_once(said, [&] {
      fmt::print(stderr,
                 "bake: KVM does not work on this host ({}): the libguestfs appliance runs under TCG, slower "
                 "(--accel tcg skips this check)\n",
                 kvm.reason);
    });
  return kvm.works;
}

}  // namespace

GuestSession::GuestSession(const ApplianceSettings& settings) : handle_(guestfs_create()) {
  if (!handle_) throw Error("cannot create a libguestfs handle");
  // Errors are reported through our Error type, not printed by the library.
  guestfs_set_error_handler(handle_.get(), nullptr, nullptr);
  check(guestfs_set_smp(handle_.get(), static_cast<int>(std::max(1u, settings.vcpus))), "set the appliance's vCPUs");
  if (settings.accel == ApplianceAccel::tcg || !kvm_for_appliance()) {
    std::vector<std::string> backend = take_string_list(guestfs_get_backend_settings(handle_.get()));
    if (std::find(backend.begin(), backend.end(), "force_tcg") == backend.end()) backend.push_back("force_tcg");
    std::vector<char*> argv;
    for (auto& s : backend) argv.push_back(s.data());
    argv.push_back(nullptr);
    check(guestfs_set_backend_settings(handle_.get(), argv.data()), "set backend settings");
  }
}

std::string GuestSession::detect_format(const std::filesystem::path& image) {
  GuestfsHandle g(guestfs_create());
  if (!g) throw Error("cannot create a libguestfs handle");
  guestfs_set_error_handler(g.get(), nullptr, nullptr);
  GuestString format(guestfs_disk_format(g.get(), image.c_str()));
  if (!format)
    throw Error(fmt::format("cannot read the format of {}: {}", image.string(), guestfs_last_error(g.get())));
  return format.get();
}

void GuestSession::fail(const std::string& operation) const {
  interrupt::throw_if_requested();  // the interrupt, not the failure it caused, is the news
  const char* message = guestfs_last_error(handle_.get());
  throw Error(fmt::format("{}: {}", operation, message ? message : "unknown libguestfs error"));
}

void GuestSession::add_drive(const std::filesystem::path& image, const std::string& format, bool read_only) {
  check(guestfs_add_drive_opts(handle_.get(), image.c_str(), GUESTFS_ADD_DRIVE_OPTS_FORMAT, format.c_str(),
                               GUESTFS_ADD_DRIVE_OPTS_READONLY, read_only ? 1 : 0, -1),
        fmt::format("add drive {}", image.string()));
}

void GuestSession::launch() { check(guestfs_launch(handle_.get()), "launch the libguestfs appliance"); }

std::string GuestSession::accel_description() const {
  std::vector<std::string> settings = take_string_list(guestfs_get_backend_settings(handle_.get()));
  bool tcg = std::find(settings.begin(), settings.end(), "force_tcg") != settings.end();
  const int vcpus = guestfs_get_smp(handle_.get());
  return fmt::format("{}{}", tcg ? "TCG" : "KVM", vcpus > 1 ? fmt::format(", {} vCPUs", vcpus) : "");
}

void GuestSession::shutdown() { check(guestfs_shutdown(handle_.get()), "shut the appliance down"); }

std::optional<std::string> GuestSession::filesystem_type(const std::string& device) {
  GuestString type(guestfs_vfs_type(handle_.get(), device.c_str()));
  interrupt::throw_if_requested();
  if (!type || !*type.get()) return std::nullopt;  // no filesystem on it
  return std::string(type.get());
}

std::vector<std::string> GuestSession::disks() {
  char** devices = guestfs_list_devices(handle_.get());
  if (!devices) fail("list the drives");
  return take_string_list(devices);
}

std::vector<std::string> GuestSession::root_candidates(const std::string& disk) {
  char** partitions = guestfs_list_partitions(handle_.get());
  if (!partitions) fail("list the partitions");
  std::vector<std::string> devices;
  for (const auto& partition : take_string_list(partitions))
    if (disk_of(partition) == disk) devices.push_back(partition);
  if (devices.empty()) devices.push_back(disk);  // a filesystem on the whole disk
  return devices;
}

std::string GuestSession::resolve(const std::string& path) {
  GuestString real(guestfs_realpath(handle_.get(), path.c_str()));
  if (!real) fail(fmt::format("resolve {}", path));
  return real.get();
}

uint64_t GuestSession::grow_and_mount_root(const Inspection& root) {
  guestfs_h* g = handle_.get();
  const std::string& device = root.root_device;
  if (!root.filesystem.starts_with("ext"))
    throw Error(fmt::format("the root filesystem {} is {}; only ext2/3/4 can be grown", device, root.filesystem));
  const std::string disk = disk_of(device);
  const int partnum = partition_number(device);
  const uint64_t disk_bytes = device_size(disk);

  // Each parted or sgdisk call costs a partition-table re-read and a udev settle in the appliance;
  // the GPT is edited here on bytes instead, with one re-read. Its header sits in the second
  // sector, which gives the sector size without running blockdev there.
  std::vector<uint8_t> first_sectors = read_device(disk, 2 * 4096);
  const uint32_t ss = gpt_sector_size(first_sectors);
  if (ss == 0)
    throw Error(fmt::format("{} has no GPT; only GPT disks (as in Alpine's UEFI cloud images) can be grown", disk));
  first_sectors.resize(2 * uint64_t{ss});
  GptGrowth growth =
      grow_last_gpt_partition(read_device(disk, gpt_head_size(first_sectors, ss)), ss, disk_bytes, partnum);
  for (const DiskWrite& write : growth.writes) {
    int written = guestfs_pwrite_device(g, disk.c_str(), reinterpret_cast<const char*>(write.bytes.data()),
                                        write.bytes.size(), static_cast<int64_t>(write.offset));
    check(written, fmt::format("write the partition table of {} at byte {}", disk, write.offset));
    if (static_cast<size_t>(written) != write.bytes.size())
      throw Error(fmt::format("wrote {} of {} bytes of the partition table of {}", written, write.bytes.size(), disk));
  }
  check(guestfs_blockdev_rereadpt(g, disk.c_str()), fmt::format("re-read the partition table of {}", disk));
  const uint64_t expected = (growth.new_last_lba - growth.first_lba + 1) * ss;
  // Mounted, resize2fs grows ext4 online and needs no forced e2fsck pass over the whole
  // filesystem first (about 2 s of a bake under TCG). Should the kernel refuse (no room reserved
  // for the group descriptors), it is done offline after a check.
  mount(device, "/", false);
  if (guestfs_resize2fs(g, device.c_str()) == -1) {
    interrupt::throw_if_requested();
    umount_all();
    check(guestfs_e2fsck(g, device.c_str(), GUESTFS_E2FSCK_CORRECT, 1, -1), fmt::format("check filesystem {}", device));
    check(guestfs_resize2fs(g, device.c_str()), fmt::format("grow filesystem {}", device));
    mount(device, "/", false);
  }
  // Had the kernel kept the old partition size, resize2fs would have had nothing to grow into.
  // ext4's own metadata takes a few per cent of the partition; a filesystem left at its old
  // size takes a fraction of it.
  const uint64_t grown = filesystem_size("/");
  if (grown < expected / 10 * 9)
    throw Error(fmt::format("the filesystem on {} is {} bytes after growing; its partition is {} bytes", device, grown,
                            expected));
  return disk_bytes;
}

std::vector<uint8_t> GuestSession::read_device(const std::string& device, uint64_t size) {
  size_t got = 0;
  GuestString bytes(guestfs_pread_device(handle_.get(), device.c_str(), static_cast<int>(size), 0, &got));
  if (!bytes) fail(fmt::format("read the first {} bytes of {}", size, device));
  if (got != size) throw Error(fmt::format("read {} of the first {} bytes of {}", got, size, device));
  return {bytes.get(), bytes.get() + got};
}

uint64_t GuestSession::device_size(const std::string& device) {
  int64_t size = guestfs_blockdev_getsize64(handle_.get(), device.c_str());
  check(size < 0 ? -1 : 0, fmt::format("read the size of {}", device));
  return static_cast<uint64_t>(size);
}

uint64_t GuestSession::filesystem_size(const std::string& mountpoint) {
  Statvfs st(guestfs_statvfs(handle_.get(), mountpoint.c_str()));
  if (!st) fail(fmt::format("statvfs {}", mountpoint));
  return static_cast<uint64_t>(st->blocks) * static_cast<uint64_t>(st->frsize);
}

void GuestSession::mount(const std::string& device, const std::string& mountpoint, bool read_only) {
  int rc = read_only ? guestfs_mount_ro(handle_.get(), device.c_str(), mountpoint.c_str())
                     : guestfs_mount(handle_.get(), device.c_str(), mountpoint.c_str());
  check(rc, fmt::format("mount {} on {}", device, mountpoint));
}

void GuestSession::umount_all() { check(guestfs_umount_all(handle_.get()), "unmount all"); }
void GuestSession::sync() { check(guestfs_sync(handle_.get()), "sync"); }

bool GuestSession::exists(const std::string& path) {
  int rc = guestfs_exists(handle_.get(), path.c_str());
  check(rc, fmt::format("check {}", path));
  return rc == 1;
}

bool GuestSession::is_dir(const std::string& path) {
  int rc = guestfs_is_dir(handle_.get(), path.c_str());
  check(rc, fmt::format("check {}", path));
  return rc == 1;
}

bool GuestSession::is_symlink(const std::string& path) {
  int rc = guestfs_is_symlink(handle_.get(), path.c_str());
  check(rc, fmt::format("check {}", path));
  return rc == 1;
}

std::optional<std::string> GuestSession::read_file(const std::string& path) {
  int rc = guestfs_is_file(handle_.get(), path.c_str());
  check(rc, fmt::format("check {}", path));
  if (rc != 1) return std::nullopt;
  // pread answers in one reply; read_file goes through a file transfer (about 0.25 s under TCG).
  std::string head = read_head(path, kReadInOneReply);
  if (head.size() < kReadInOneReply) return head;
  const int64_t whole = guestfs_filesize(handle_.get(), path.c_str());
  if (whole < 0) fail(fmt::format("read {}", path));
  if (static_cast<uint64_t>(whole) > kMaxReadFile) refuse_oversized(path, static_cast<uint64_t>(whole));
  size_t size = 0;
  GuestString content(guestfs_read_file(handle_.get(), path.c_str(), &size));
  if (!content) fail(fmt::format("read {}", path));
  return std::string(content.get(), size);
}

std::string GuestSession::read_head(const std::string& path, size_t count) {
  size_t size = 0;
  GuestString bytes(guestfs_pread(handle_.get(), path.c_str(), static_cast<int>(count), 0, &size));
  if (!bytes) fail(fmt::format("read {}", path));
  return std::string(bytes.get(), size);
}

std::string GuestSession::disk_of(const std::string& partition) {
  if (auto name = parse_partition_name(partition)) return name->disk;
  GuestString disk(guestfs_part_to_dev(handle_.get(), partition.c_str()));
  if (!disk) fail(fmt::format("find the disk of {}", partition));
  return disk.get();
}

int GuestSession::partition_number(const std::string& partition) {
  if (auto name = parse_partition_name(partition)) return name->number;
  int number = guestfs_part_to_partnum(handle_.get(), partition.c_str());
  check(number, fmt::format("find the partition number of {}", partition));
  return number;
}

void GuestSession::write_file(const std::string& path, const std::string& content) {
  check(guestfs_write(handle_.get(), path.c_str(), content.data(), content.size()), fmt::format("write {}", path));
  drop_attributes(path);
}

void GuestSession::upload(const std::filesystem::path& local, const std::string& path) {
  check(guestfs_upload(handle_.get(), local.c_str(), path.c_str()),
        fmt::format("upload {} to {}", local.string(), path));
  drop_attributes(path);
}

void GuestSession::drop_attributes(const std::string& path) {
  struct FreeXattrs {
    void operator()(guestfs_xattr_list* list) const { guestfs_free_xattr_list(list); }
  };
  // Through links, as the write was: the file whose content changed.
  std::unique_ptr<guestfs_xattr_list, FreeXattrs> found(guestfs_getxattrs(handle_.get(), path.c_str()));
  if (!found) fail(fmt::format("read the attributes of {}", path));
  for (uint32_t i = 0; i < found->len; ++i)
    check(guestfs_removexattr(handle_.get(), found->val[i].attrname, path.c_str()),
          fmt::format("remove the attribute {} of {}", found->val[i].attrname, path));
}

void GuestSession::mkdir_p(const std::string& path) {
  check(guestfs_mkdir_p(handle_.get(), path.c_str()), fmt::format("mkdir -p {}", path));
}
void GuestSession::mkdir(const std::string& path) {
  check(guestfs_mkdir(handle_.get(), path.c_str()), fmt::format("mkdir {}", path));
}

void GuestSession::chmod(uint32_t mode, const std::string& path) {
  check(guestfs_chmod(handle_.get(), static_cast<int>(mode), path.c_str()), fmt::format("chmod {:04o} {}", mode, path));
}

void GuestSession::chown(uint32_t uid, uint32_t gid, const std::string& path) {
  check(guestfs_lchown(handle_.get(), static_cast<int>(uid), static_cast<int>(gid), path.c_str()),
        fmt::format("chown {}:{} {}", uid, gid, path));
}

void GuestSession::symlink(const std::string& target, const std::string& link) {
  check(guestfs_ln_sf(handle_.get(), target.c_str(), link.c_str()), fmt::format("symlink {} -> {}", link, target));
}

std::string GuestSession::readlink(const std::string& path) {
  GuestString target(guestfs_readlink(handle_.get(), path.c_str()));
  if (!target) fail(fmt::format("readlink {}", path));
  return target.get();
}

std::vector<std::string> GuestSession::glob(const std::string& pattern) {
  char** matches = guestfs_glob_expand(handle_.get(), pattern.c_str());
  if (!matches) fail(fmt::format("glob {}", pattern));
  return take_string_list(matches);
}

void GuestSession::remove(const std::string& path) {
  check(guestfs_rm_f(handle_.get(), path.c_str()), fmt::format("remove {}", path));
}
void GuestSession::remove_tree(const std::string& path) {
  check(guestfs_rm_rf(handle_.get(), path.c_str()), fmt::format("remove {} and what it holds", path));
}
void GuestSession::truncate(const std::string& path) {
  check(guestfs_truncate(handle_.get(), path.c_str()), fmt::format("truncate {}", path));
  drop_attributes(path);
}

void GuestSession::tar_out(const std::string& directory, const std::filesystem::path& tarball) {
  // Numeric owners: the image's ids, not names looked up in the appliance's own files.
  check(guestfs_tar_out_opts(handle_.get(), directory.c_str(), tarball.c_str(), GUESTFS_TAR_OUT_OPTS_NUMERICOWNER, 1,
                             GUESTFS_TAR_OUT_OPTS_XATTRS, 1, -1),
        fmt::format("pack {} into {}", directory, tarball.string()));
}

void GuestSession::tar_in(const std::filesystem::path& tarball, const std::string& directory) {
  check(guestfs_tar_in(handle_.get(), tarball.c_str(), directory.c_str()),
        fmt::format("unpack {} into {}", tarball.string(), directory));
}

void GuestSession::set_times(const std::string& path, int64_t seconds) {
  check(guestfs_utimens(handle_.get(), path.c_str(), seconds, 0, seconds, 0), fmt::format("set the times of {}", path));
}

GuestStat GuestSession::lstat(const std::string& path) {
  Statns st(guestfs_lstatns(handle_.get(), path.c_str()));
  if (!st) fail(fmt::format("lstat {}", path));
  return {static_cast<uint32_t>(st->st_mode), static_cast<uint32_t>(st->st_uid), static_cast<uint32_t>(st->st_gid),
          static_cast<uint64_t>(st->st_size), static_cast<uint64_t>(st->st_ino), static_cast<uint32_t>(st->st_nlink)};
}

std::string GuestSession::checksum_sha256(const std::string& path) {
  GuestString sum(guestfs_checksum(handle_.get(), "sha256", path.c_str()));
  if (!sum) fail(fmt::format("checksum {}", path));
  return sum.get();
}

std::vector<std::string> GuestSession::list_files(const std::string& directory) {
  char** names = guestfs_find(handle_.get(), directory.c_str());
  if (!names) fail(fmt::format("list {}", directory));
  return take_string_list(names);
}

}  // namespace trustnet::baker
