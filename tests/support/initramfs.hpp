#pragma once
// The boot test's initramfs, written with libarchive's cpio "newc" writer and gzip: a static
// arm64 busybox, the virtio and isofs modules of Debian's cloud kernel, and an /init that loads
// them, mounts the appliance's root, runs what OpenRC would run first on a full Alpine (the
// identity from the seed disk, then the network) and hands over to the image's /sbin/init.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/archive_handle.hpp"
#include "common/error.hpp"
#include "common/text_file.hpp"

namespace trustnet::test {

inline const char* kBootInit = R"INIT(#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
for module in $(cat /lib/modules/order); do
  insmod /lib/modules/$module.ko || echo "initramfs: cannot load $module"
done
tries=0
while [ ! -b /dev/vda2 ] && [ $tries -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
mount -t ext4 /dev/vda2 /newroot || { echo "initramfs: cannot mount /dev/vda2"; poweroff -f; }
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount -t tmpfs run /newroot/run
echo "initramfs: root mounted, Alpine $(cat /newroot/etc/alpine-release)"
chroot /newroot /usr/local/sbin/trustnet-firstboot
chroot /newroot /sbin/ifup -a
echo "initramfs: network up, handing over to /sbin/init"
exec switch_root /newroot /sbin/init
)INIT";

// Writes PARTS (see scripts/boot-parts) as a gzip-compressed newc cpio to `out`.
inline void write_boot_initramfs(const std::filesystem::path& parts, const std::filesystem::path& out) {
  ArchiveWriter writer(archive_write_new());
  auto check = [&](int rc, const std::string& what) {
    if (rc != ARCHIVE_OK) throw Error(what + ": " + archive_error_string(writer.get()));
  };
  check(archive_write_set_format_cpio_newc(writer.get()), "cpio newc");
  check(archive_write_add_filter_gzip(writer.get()), "gzip");
  check(archive_write_open_filename(writer.get(), out.c_str()), "open " + out.string());
  auto add = [&](const std::string& path, unsigned type, unsigned mode, const std::string& content, dev_t rdev = 0) {
    ArchiveEntry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), mode);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
    if (rdev) archive_entry_set_rdev(entry.get(), rdev);
    check(archive_write_header(writer.get(), entry.get()), "header " + path);
    if (!content.empty() && archive_write_data(writer.get(), content.data(), content.size()) != static_cast<la_ssize_t>(content.size()))
      throw Error("cpio data " + path + ": " + archive_error_string(writer.get()));
  };
  auto file = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw Error("missing boot part " + p.string() + " (run scripts/boot-parts)");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  for (const char* dir : {"bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules"}) add(dir, AE_IFDIR, 0755, "");
  // Without /dev/console the kernel gives /init no stdout before devtmpfs is mounted.
  add("dev/console", AE_IFCHR, 0600, "", makedev(5, 1));
  add("bin/busybox", AE_IFREG, 0755, file(parts / "busybox"));
  add("init", AE_IFREG, 0755, kBootInit);
  const std::string order = file(parts / "modules/order");
  add("lib/modules/order", AE_IFREG, 0644, order);
  std::istringstream names(order);
  for (std::string name; names >> name;) add("lib/modules/" + name + ".ko", AE_IFREG, 0644, file(parts / "modules" / (name + ".ko")));
  check(archive_write_close(writer.get()), "close " + out.string());
}

}  // namespace trustnet::test
