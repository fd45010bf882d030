#pragma once
// One libguestfs session on one disk image: the only code that calls libguestfs. Every call is
// checked; a failure is an Error naming the operation, the path and libguestfs' message.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "baker/execute/guestfs/appliance_settings.hpp"
#include "baker/execute/guestfs/guestfs_handle.hpp"
#include "baker/execute/inspection.hpp"

namespace trustnet::baker {

struct GuestStat {
  uint32_t mode = 0;  // with file type bits
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  uint64_t inode = 0;
  uint32_t links = 1;
};

class GuestSession {
 public:
  explicit GuestSession(ApplianceAccel accel) : GuestSession(ApplianceSettings{accel}) {}
  explicit GuestSession(const ApplianceSettings& settings);
  // Disk format as libguestfs detects it, without launching the appliance.
  static std::string detect_format(const std::filesystem::path& image);

  void add_drive(const std::filesystem::path& image, const std::string& format, bool read_only);
  void launch();
  std::string accel_description() const;  // "TCG" or "KVM", and the vCPUs when more than one
  void shutdown();                        // flushes and stops the appliance cleanly

  // The appliance's names of the added drives (/dev/sda, /dev/sdb, ...), in the order they were added.
  std::vector<std::string> disks();
  // The devices of `disk` a root may be on: its partitions, or the disk itself.
  std::vector<std::string> root_candidates(const std::string& disk);
  std::optional<std::string> filesystem_type(const std::string& device);  // nothing when none
  std::string resolve(const std::string& path);                           // realpath inside the mounted image
  // Grows the root's partition to the end of its disk and its ext4 to fill it, and leaves it
  // mounted read-write on /; returns the disk size.
  uint64_t grow_and_mount_root(const Inspection& root);
  uint64_t device_size(const std::string& device);
  uint64_t filesystem_size(const std::string& mountpoint);  // bytes, from statvfs
  void mount(const std::string& device, const std::string& mountpoint, bool read_only);
  void umount_all();
  void sync();  // what was written reaches the disk images

  bool exists(const std::string& path);
  bool is_dir(const std::string& path);
  bool is_symlink(const std::string& path);
  std::optional<std::string> read_file(const std::string& path);  // nothing when absent
  std::string read_head(const std::string& path, size_t count);   // the first `count` bytes, or fewer
  void write_file(const std::string& path, const std::string& content);
  void upload(const std::filesystem::path& local, const std::string& path);
  void mkdir_p(const std::string& path);
  void mkdir(const std::string& path);
  void chmod(uint32_t mode, const std::string& path);
  void chown(uint32_t uid, uint32_t gid, const std::string& path);
  void symlink(const std::string& target, const std::string& link);  // replaces an existing link
  std::string readlink(const std::string& path);
  std::vector<std::string> glob(const std::string& pattern);
  void remove(const std::string& path);
  void remove_tree(const std::string& path);
  void truncate(const std::string& path);
  // Removes a file's extended attributes: one whose content the bake replaced keeps none.
  void drop_attributes(const std::string& path);
  void tar_in(const std::filesystem::path& tarball, const std::string& directory);
  void tar_out(const std::string& directory, const std::filesystem::path& tarball);  // uncompressed, numeric owners
  GuestStat lstat(const std::string& path);
  void set_times(const std::string& path, int64_t seconds);  // access and modification time
  std::string checksum_sha256(const std::string& path);
  std::vector<std::string> list_files(const std::string& directory);  // recursive, relative

 private:
  static constexpr size_t kReadInOneReply = 1 << 20;
  std::vector<uint8_t> read_device(const std::string& device, uint64_t size);  // from byte 0
  std::string disk_of(const std::string& partition);
  int partition_number(const std::string& partition);
  [[noreturn]] void fail(const std::string& operation) const;
  void check(int rc, const std::string& operation) const {
    if (rc == -1) fail(operation);
  }

  GuestfsHandle handle_;
};

}  // namespace trustnet::baker
