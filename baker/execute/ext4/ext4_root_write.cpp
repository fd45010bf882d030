// Ext4Root's changes to the tree: files written in place or made, folders, links, removals.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "baker/execute/ext4/ext4_root.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

void Ext4Root::link_retrying(Ino dir, const std::string& name, Ino ino, int file_type) {
  errcode_t rc = ext2fs_link(fs_.get(), dir, name.c_str(), ino, file_type);
  if (rc == EXT2_ET_DIR_NO_SPACE) {  // the folder's blocks are full: one more, then again
    check(ext2fs_expand_dir(fs_.get(), dir), fmt::format("grow the folder of {}", name));
    rc = ext2fs_link(fs_.get(), dir, name.c_str(), ino, file_type);
  }
  check(rc, fmt::format("add {} to its folder", name));
}

Ext4Root::Ino Ext4Root::create_inode(Ino dir, const std::string& name, uint32_t mode, int file_type) {
  ext2_ino_t ino = 0;
  check(ext2fs_new_inode(fs_.get(), dir, static_cast<int>(mode), nullptr, &ino), fmt::format("allocate {}", name));
  link_retrying(dir, name, ino, file_type);
  ext2fs_inode_alloc_stats2(fs_.get(), ino, +1, 0);
  ext2_inode_large inode{};
  inode.i_mode = static_cast<uint16_t>(mode);
  inode.i_links_count = 1;
  check(ext2fs_write_new_inode(fs_.get(), ino, reinterpret_cast<ext2_inode*>(&inode)), fmt::format("make {}", name));
  inode = read_inode(ino);
  if (LINUX_S_ISREG(mode) && ext2fs_has_feature_extents(fs_->super)) {
    // An empty extent tree in the inode, as mke2fs -d makes them.
    ext2_extent_handle_t handle = nullptr;
    inode.i_flags &= ~EXT4_EXTENTS_FL;
    check(ext2fs_extent_open2(fs_.get(), ino, reinterpret_cast<ext2_inode*>(&inode), &handle),
          fmt::format("start the extents of {}", name));
    ext2fs_extent_free(handle);
  }
  stamp(inode, true, true);
  write_inode(ino, inode);
  touch_folder(dir);
  return ino;
}

void Ext4Root::fill(Ino ino, const Writer& writer) {
  ext2_inode_large inode = read_inode(ino);
  // In place: the blocks go, the inode (owner, mode, names, attributes) stays.
  if (ext2fs_inode_has_valid_blocks2(fs_.get(), reinterpret_cast<ext2_inode*>(&inode)))
    check(ext2fs_punch(fs_.get(), ino, reinterpret_cast<ext2_inode*>(&inode), nullptr, 0, ~0ULL),
          fmt::format("empty inode {}", ino));
  check(ext2fs_inode_size_set(fs_.get(), reinterpret_cast<ext2_inode*>(&inode), 0), fmt::format("empty inode {}", ino));
  stamp(inode, true, false);
  write_inode(ino, inode);
  ext2_file_t raw = nullptr;
  check(ext2fs_file_open(fs_.get(), ino, EXT2_FILE_WRITE, &raw), fmt::format("open inode {} to write", ino));
  Ext2File file(raw);
  writer([&](const char* data, size_t size) {
    while (size > 0) {
      unsigned int written = 0;
      const auto chunk = static_cast<unsigned>(std::min(size, kChunk));
      check(ext2fs_file_write(file.get(), data, chunk, &written), fmt::format("write inode {}", ino));
      if (written == 0) throw Error(fmt::format("write inode {}: nothing was written", ino));
      data += written;
      size -= written;
    }
  });
  check(ext2fs_file_flush(file.get()), fmt::format("write inode {}", ino));
  check(ext2fs_file_close(file.release()), fmt::format("close inode {}", ino));
}

void Ext4Root::write_content(const std::string& path, const Writer& writer, bool follow) {
  require_writable("write " + path);
  auto ino = lookup(path, follow);
  if (ino && LINUX_S_ISLNK(read_inode(*ino).i_mode)) {  // not followed: the link makes way for the file
    remove(path);
    ino.reset();
  }
  if (ino) {
    if (!LINUX_S_ISREG(read_inode(*ino).i_mode)) throw Error(fmt::format("write {}: it is not a regular file", path));
    drop_attributes(*ino);
  } else {
    // A link whose target is missing would get a second entry of its name: refused instead.
    if (follow && lookup(path, false))
      throw Error(fmt::format("write {}: it is a symbolic link to a file the image does not have", path));
    const Parent parent = parent_of(path);
    ino = create_inode(parent.dir, parent.name, LINUX_S_IFREG | 0644, EXT2_FT_REG_FILE);
  }
  fill(*ino, writer);
}

void Ext4Root::write_file(const std::string& path, const std::string& content) {
  write_content(
      path, [&](const auto& put) { put(content.data(), content.size()); }, true);
}

void Ext4Root::upload(const fs::path& local, const std::string& path) {
  write_content(
      path,
      [&](const auto& put) {
        std::ifstream in(local, std::ios::binary);
        if (!in) throw Error(fmt::format("cannot read {}", local.string()));
        std::vector<char> buffer(kChunk);
        while (in) {
          in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
          if (in.gcount() > 0) put(buffer.data(), static_cast<size_t>(in.gcount()));
        }
        if (in.bad()) throw Error(fmt::format("cannot read {}", local.string()));
      },
      true);
}

void Ext4Root::mkdir(const std::string& path) {
  require_writable("mkdir " + path);
  const Parent parent = parent_of(path);
  if (lookup_in(parent.dir, parent.name)) throw Error(fmt::format("mkdir {}: it exists", path));
  errcode_t rc = ext2fs_mkdir(fs_.get(), parent.dir, 0, parent.name.c_str());
  if (rc == EXT2_ET_DIR_NO_SPACE) {
    check(ext2fs_expand_dir(fs_.get(), parent.dir), fmt::format("grow the folder of {}", path));
    rc = ext2fs_mkdir(fs_.get(), parent.dir, 0, parent.name.c_str());
  }
  check(rc, fmt::format("mkdir {}", path));
  const Ino ino = *lookup_in(parent.dir, parent.name);
  ext2_inode_large inode = read_inode(ino);
  inode.i_mode = LINUX_S_IFDIR | 0755;
  inode.i_uid = inode.i_gid = 0;
  ext2fs_set_i_uid_high(inode, 0);
  ext2fs_set_i_gid_high(inode, 0);
  stamp(inode, true, true);
  write_inode(ino, inode);
  touch_folder(parent.dir);
}

void Ext4Root::chmod(uint32_t mode, const std::string& path) {
  require_writable("chmod " + path);
  auto ino = lookup(path, true);
  if (!ino) throw Error(fmt::format("chmod {:04o} {}: no such file in the image", mode, path));
  ext2_inode_large inode = read_inode(*ino);
  inode.i_mode = static_cast<uint16_t>((inode.i_mode & LINUX_S_IFMT) | (mode & 07777));
  stamp(inode, false, false);
  write_inode(*ino, inode);
}

void Ext4Root::lchown(uint32_t uid, uint32_t gid, const std::string& path) {
  require_writable("chown " + path);
  auto ino = lookup(path, false);
  if (!ino) throw Error(fmt::format("chown {}:{} {}: no such file in the image", uid, gid, path));
  ext2_inode_large inode = read_inode(*ino);
  inode.i_uid = static_cast<uint16_t>(uid);
  inode.i_gid = static_cast<uint16_t>(gid);
  ext2fs_set_i_uid_high(inode, static_cast<uint16_t>(uid >> 16));
  ext2fs_set_i_gid_high(inode, static_cast<uint16_t>(gid >> 16));
  // As chown(2): a changed owner clears the set-id bits of a file that is not a folder.
  if (!LINUX_S_ISDIR(inode.i_mode)) inode.i_mode &= static_cast<uint16_t>(~(LINUX_S_ISUID | LINUX_S_ISGID));
  stamp(inode, false, false);
  write_inode(*ino, inode);
}

void Ext4Root::symlink(const std::string& target, const std::string& link) {
  require_writable("symlink " + link);
  if (auto existing = lookup(link, false)) {
    if (is_dir_inode(*existing)) throw Error(fmt::format("symlink {} -> {}: {} is a folder", link, target, link));
    remove(link);
  }
  const Parent parent = parent_of(link);
  errcode_t rc = ext2fs_symlink(fs_.get(), parent.dir, 0, parent.name.c_str(), target.c_str());
  if (rc == EXT2_ET_DIR_NO_SPACE) {
    check(ext2fs_expand_dir(fs_.get(), parent.dir), fmt::format("grow the folder of {}", link));
    rc = ext2fs_symlink(fs_.get(), parent.dir, 0, parent.name.c_str(), target.c_str());
  }
  check(rc, fmt::format("symlink {} -> {}", link, target));
  const Ino ino = *lookup_in(parent.dir, parent.name);
  ext2_inode_large inode = read_inode(ino);
  stamp(inode, true, true);
  write_inode(ino, inode);
  touch_folder(parent.dir);
}

namespace {

using Attributes = std::vector<std::pair<std::string, std::string>>;

// The attributes of an open handle, by name.
Attributes attributes_of(ext2_xattr_handle* handle) {
  Attributes found;
  const auto each = [](char* name, char* value, size_t size, void* data) -> int {
    static_cast<Attributes*>(data)->emplace_back(name, std::string(value, size));
    return 0;
  };
  if (ext2fs_xattrs_iterate(handle, each, &found) != 0) throw Error("cannot list the attributes");
  return found;
}

}  // namespace

Ext2Xattrs Ext4Root::open_attributes(Ino ino, const char* what) {
  ext2_xattr_handle* raw = nullptr;
  check(ext2fs_xattrs_open(fs_.get(), ino, &raw), fmt::format("{} the attributes of inode {}", what, ino));
  Ext2Xattrs handle(raw);
  check(ext2fs_xattrs_read(handle.get()), fmt::format("{} the attributes of inode {}", what, ino));
  return handle;
}

std::vector<std::pair<std::string, std::string>> Ext4Root::attributes(Ino ino) {
  return attributes_of(open_attributes(ino, "read").get());
}

void Ext4Root::drop_attributes(Ino ino) {
  const Ext2Xattrs handle = open_attributes(ino, "remove");
  const Attributes found = attributes_of(handle.get());
  for (const auto& [name, value] : found)
    check(ext2fs_xattr_remove(handle.get(), name.c_str()),
          fmt::format("remove the attribute {} of inode {}", name, ino));
  if (!found.empty()) check(ext2fs_xattrs_write(handle.get()), fmt::format("remove the attributes of inode {}", ino));
}

// The file's blocks, extended-attribute block and inode go back to the free pool.
void Ext4Root::drop_link(Ino ino) {
  ext2_inode_large inode = read_inode(ino);
  const bool folder = LINUX_S_ISDIR(inode.i_mode);
  if (!folder && inode.i_links_count > 1) {
    --inode.i_links_count;
    stamp(inode, false, false);
    write_inode(ino, inode);
    return;
  }
  auto* plain = reinterpret_cast<ext2_inode*>(&inode);
  if (ext2fs_inode_has_valid_blocks2(fs_.get(), plain))
    check(ext2fs_punch(fs_.get(), ino, plain, nullptr, 0, ~0ULL), fmt::format("free the blocks of inode {}", ino));
  if (blk64_t attributes = ext2fs_file_acl_block(fs_.get(), plain)) {
    __u32 count = 0;
    check(ext2fs_adjust_ea_refcount3(fs_.get(), attributes, nullptr, -1, &count, ino),
          fmt::format("release the attributes of inode {}", ino));
    if (count == 0) ext2fs_block_alloc_stats2(fs_.get(), attributes, -1);
    ext2fs_file_acl_block_set(fs_.get(), plain, 0);
  }
  inode.i_links_count = 0;
  inode.i_dtime = static_cast<uint32_t>(now_);
  write_inode(ino, inode);
  ext2fs_inode_alloc_stats2(fs_.get(), ino, -1, folder ? 1 : 0);
}

void Ext4Root::unlink_entry(Ino dir, const std::string& name, Ino ino) {
  check(ext2fs_unlink(fs_.get(), dir, name.c_str(), ino, 0), fmt::format("remove {} from its folder", name));
  touch_folder(dir);
}

// A folder's entries go first; its ".." no longer counts as a link of the folder above.
void Ext4Root::remove_entry(Ino dir, const std::string& name, Ino ino) {
  const bool folder = is_dir_inode(ino);
  if (folder)
    for (const auto& [child_name, child] : entries(ino)) remove_entry(ino, child_name, child);
  unlink_entry(dir, name, ino);
  if (folder) {
    ext2_inode_large above = read_inode(dir);
    if (above.i_links_count > 2) --above.i_links_count;  // 1 means too many to count (dir_nlink)
    write_inode(dir, above);
  }
  drop_link(ino);
}

void Ext4Root::remove(const std::string& path) {
  require_writable("remove " + path);
  const Parent parent = parent_of(path);
  const auto ino = lookup_in(parent.dir, parent.name);
  if (!ino) return;
  if (is_dir_inode(*ino)) throw Error(fmt::format("remove {}: it is a folder", path));
  remove_entry(parent.dir, parent.name, *ino);
}

void Ext4Root::remove_tree(const std::string& path) {
  require_writable("remove " + path);
  const Parent parent = parent_of(path);
  if (const auto ino = lookup_in(parent.dir, parent.name)) remove_entry(parent.dir, parent.name, *ino);
}

void Ext4Root::truncate(const std::string& path) {
  require_writable("truncate " + path);
  auto ino = lookup(path, true);
  if (!ino || !LINUX_S_ISREG(read_inode(*ino).i_mode))
    throw Error(fmt::format("truncate {}: no such regular file in the image", path));
  drop_attributes(*ino);
  fill(*ino, [](const auto&) {});
}

void Ext4Root::set_times(const std::string& path, int64_t seconds) {
  require_writable("set the times of " + path);
  auto ino = lookup(path, true);
  if (!ino) throw Error(fmt::format("set the times of {}: no such file in the image", path));
  ext2_inode_large inode = read_inode(*ino);
  set_access_and_modification(inode, seconds);
  stamp(inode, false, false);  // the change time is the bake's, as utimensat leaves it
  write_inode(*ino, inode);
}

}  // namespace trustnet::baker
