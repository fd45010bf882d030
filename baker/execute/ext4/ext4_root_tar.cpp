// Ext4Root and tar: the whole tree packed for the base's listing, an overlay's archive unpacked.
#include <fmt/format.h>

#include <map>

#include "baker/execute/ext4/ext4_root.hpp"
#include "common/handles/archive_handle.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

std::string relative_name(const std::string& path) { return path == "/" ? "./" : "." + path; }

}  // namespace

void Ext4Root::pack_tar(const fs::path& tar) {
  ArchiveWriter writer(archive_write_new());
  ArchiveEntry entry(archive_entry_new());
  if (!writer || !entry) throw Error("libarchive: out of memory");
  auto check_write = [&](int rc, const std::string& what) {
    if (rc != ARCHIVE_OK)
      throw Error(fmt::format("writing {}: {}: {}", tar.string(), what, archive_message(writer.get())));
  };
  check_write(archive_write_set_format_pax_restricted(writer.get()), "tar format");
  check_write(archive_write_open_filename(writer.get(), tar.c_str()), "open");
  std::map<Ino, std::string> first_name;  // hard links point at the name that came first
  const uint64_t filesystem_bytes = ext2fs_blocks_count(fs_->super) * fs_->blocksize;
  auto add = [&](const std::string& path, Ino ino) {
    const ext2_inode_large inode = read_inode(ino);
    archive_entry_clear(entry.get());
    archive_entry_set_pathname(entry.get(), relative_name(path).c_str());
    archive_entry_set_mode(entry.get(), inode.i_mode);
    archive_entry_set_uid(entry.get(), inode_uid(inode));
    archive_entry_set_gid(entry.get(), inode_gid(inode));
    archive_entry_set_mtime(entry.get(), static_cast<int32_t>(inode.i_mtime), 0);
    archive_entry_set_size(entry.get(), 0);
    const bool regular = LINUX_S_ISREG(inode.i_mode);
    if (regular && inode.i_links_count > 1) {
      auto [known, inserted] = first_name.emplace(ino, path);
      if (!inserted) {
        archive_entry_set_hardlink(entry.get(), relative_name(known->second).c_str());
        check_write(archive_write_header(writer.get(), entry.get()), path);
        return;
      }
    }
    if (LINUX_S_ISLNK(inode.i_mode)) archive_entry_set_symlink(entry.get(), link_target(ino).c_str());
    if (LINUX_S_ISCHR(inode.i_mode) || LINUX_S_ISBLK(inode.i_mode)) {
      // Old and new device number encodings, as the kernel reads them.
      const uint32_t old = inode.i_block[0], encoded = inode.i_block[1];
      const uint32_t major = old ? (old >> 8) & 0xff : (encoded & 0xfff00) >> 8;
      const uint32_t minor = old ? old & 0xff : (encoded & 0xff) | ((encoded >> 12) & 0xfff00);
      archive_entry_set_rdevmajor(entry.get(), major);
      archive_entry_set_rdevminor(entry.get(), minor);
    }
    for (const auto& [name, value] : attributes(ino))
      archive_entry_xattr_add_entry(entry.get(), name.c_str(), value.data(), value.size());
    const uint64_t size = regular ? EXT2_I_SIZE(&inode) : 0;
    // A file bigger than the filesystem can only be sparse, and no real root has one: a hostile
    // base's 2 GiB /etc/passwd on a few MiB would cost the listing's reader its whole size.
    if (size > filesystem_bytes)
      throw Error(
          fmt::format("{} in {} holds {} bytes, more than the whole filesystem ({}): the root filesystem is "
                      "damaged or hostile",
                      path, file_.filename().string(), size, filesystem_bytes));
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
    // Holes stay holes in the tar (pax's sparse form): only the blocks that are there are read.
    const auto ranges = regular && size > 0 ? data_ranges(ino, inode) : std::vector<std::pair<uint64_t, uint64_t>>{};
    const bool sparse = ranges.size() != 1 || ranges.front().second != size;
    if (sparse)
      for (const auto& [offset, length] : ranges)
        archive_entry_sparse_add_entry(entry.get(), static_cast<la_int64_t>(offset), static_cast<la_int64_t>(length));
    check_write(archive_write_header(writer.get(), entry.get()), path);
    if (!regular || size == 0) return;
    const auto put = [&](const char* data, size_t got) {
      if (archive_write_data(writer.get(), data, got) != static_cast<la_ssize_t>(got)) check_write(ARCHIVE_FATAL, path);
    };
    // The writer takes the file's whole length and leaves out what the sparse map calls holes.
    static const std::vector<char> zeros(kChunk);
    const auto skip_to = [&](uint64_t& at, uint64_t to) {
      for (; at < to; at += std::min<uint64_t>(to - at, zeros.size()))
        put(zeros.data(), std::min<uint64_t>(to - at, zeros.size()));
    };
    uint64_t at = 0;
    for (const auto& [offset, length] : ranges) {
      skip_to(at, offset);
      read_range(ino, offset, length, path, put);
      at = offset + length;
    }
    skip_to(at, size);
  };
  add("/", EXT2_ROOT_INO);
  walk(EXT2_ROOT_INO, "/", add);
  check_write(archive_write_close(writer.get()), "close");
}

void Ext4Root::unpack_tar(const fs::path& tar, const std::string& directory) {
  require_writable("unpack " + tar.string());
  ArchiveReader reader(archive_read_new());
  if (!reader) throw Error("libarchive: out of memory");
  auto check_read = [&](int rc, const std::string& what) {
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      throw Error(fmt::format("reading {}: {}: {}", tar.string(), what, archive_message(reader.get())));
  };
  check_read(archive_read_support_format_tar(reader.get()), "tar format");
  check_read(archive_read_open_filename(reader.get(), tar.c_str(), kChunk), "open");
  archive_entry* entry = nullptr;
  for (int rc; (rc = archive_read_next_header(reader.get(), &entry)) != ARCHIVE_EOF;) {
    check_read(rc, "next entry");
    std::string name = archive_entry_pathname(entry);
    while (name.starts_with("./")) name.erase(0, 2);
    if (name.empty() || name.starts_with("/") || name == ".." || name.starts_with("../") ||
        name.find("/../") != std::string::npos)
      throw Error(fmt::format("reading {}: entry {} leaves the folder it unpacks into", tar.string(), name));
    while (name.ends_with("/")) name.pop_back();
    const std::string path = directory == "/" ? "/" + name : directory + "/" + name;
    const auto type = archive_entry_filetype(entry);
    const auto mode = static_cast<uint32_t>(archive_entry_perm(entry));
    const auto uid = static_cast<uint32_t>(archive_entry_uid(entry));
    const auto gid = static_cast<uint32_t>(archive_entry_gid(entry));
    if (type == AE_IFDIR) {
      if (!is_dir(path)) mkdir(path);
    } else if (type == AE_IFLNK) {
      symlink(archive_entry_symlink(entry), path);
    } else if (type == AE_IFREG && !archive_entry_hardlink(entry)) {
      // The path itself: a link there is replaced by the file, never written through.
      write_content(
          path,
          [&](const auto& put) {
            std::vector<char> buffer(kChunk);
            for (la_ssize_t got; (got = archive_read_data(reader.get(), buffer.data(), buffer.size())) != 0;) {
              if (got < 0) check_read(static_cast<int>(got), path);
              put(buffer.data(), static_cast<size_t>(got));
            }
          },
          false);
    } else {
      throw Error(fmt::format("reading {}: {} is neither a file, a folder nor a symbolic link", tar.string(), name));
    }
    lchown(uid, gid, path);
    if (type == AE_IFLNK) continue;
    chmod(mode, path);
    set_times(path, archive_entry_mtime(entry));
  }
}

}  // namespace trustnet::baker
