#include "baker/execute/ext4/ext4_root.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <et/com_err.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include "baker/execute/path_glob.hpp"
#include "common/handles/archive_handle.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxLinkDepth = 40;  // as the kernel's

void load_error_messages() {
  static std::once_flag once;
  std::call_once(once, [] { initialize_ext2_error_table(); });
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  for (size_t start = 0; start <= path.size();) {
    const size_t slash = std::min(path.find('/', start), path.size());
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string join(const std::string& folder, const std::string& name) {
  return folder == "/" ? "/" + name : folder + "/" + name;
}

// The high bits of a time beyond 2038 go to the inode's extra fields, as the kernel stores them.
uint32_t extra_time(int64_t seconds) {
  return static_cast<uint32_t>(((seconds - static_cast<int32_t>(seconds)) >> 32) & 3);
}

bool has_field(const ext2_inode_large& inode, size_t offset, int inode_size) {
  return inode_size > EXT2_GOOD_OLD_INODE_SIZE && size_t{EXT2_GOOD_OLD_INODE_SIZE} + inode.i_extra_isize >= offset + 4;
}

}  // namespace

Ext4Root::Ext4Root(const fs::path& partition, bool writable, int64_t now)
    : file_(partition), writable_(writable), now_(now) {
  load_error_messages();
  ext2_filsys fs = nullptr;
  const int flags = EXT2_FLAG_64BITS | (writable ? EXT2_FLAG_RW : 0);
  errcode_t rc = ext2fs_open2(partition.c_str(), nullptr, flags, 0, 0, unix_io_manager, &fs);
  fs_.reset(fs);
  check(rc, "open the ext filesystem");
  fs_->now = static_cast<time_t>(now);
  fs_->umask = 022;
  if (writable && ext2fs_has_feature_journal_needs_recovery(fs_->super))
    throw Error(fmt::format("the ext filesystem in {} has a journal that needs recovery; run e2fsck on it first",
                            partition.string()));
  check(ext2fs_read_bitmaps(fs_.get()), "read the allocation bitmaps");
}

void Ext4Root::close() {
  if (!fs_) return;
  check(ext2fs_close2(fs_.get(), 0), "write the filesystem's metadata");
  (void)fs_.release();  // ext2fs_close2 freed it
}

void Ext4Root::fail(long code, const std::string& operation) const {
  throw Error(fmt::format("{} in {}: {}", operation, file_.filename().string(), error_message(code)));
}

void Ext4Root::require_writable(const std::string& operation) const {
  if (!writable_) throw Error(fmt::format("{}: the filesystem in {} is open read-only", operation, file_.string()));
}

std::vector<std::string> Ext4Root::unsupported_features() const {
  ext2_super_block* sb = fs_->super;
  std::vector<std::string> found;
  // What the writer here does not handle: data inside inodes, encrypted, case-folded or verity
  // files, clusters, quotas it would have to keep up to date, multi-mount protection, inodes
  // holding extended attributes.
  const std::pair<bool, const char*> checks[] = {
      {ext2fs_has_feature_inline_data(sb), "inline_data"},
      {ext2fs_has_feature_encrypt(sb), "encrypt"},
      {ext2fs_has_feature_casefold(sb), "casefold"},
      {ext2fs_has_feature_verity(sb), "verity"},
      {ext2fs_has_feature_bigalloc(sb), "bigalloc"},
      {ext2fs_has_feature_quota(sb), "quota"},
      {ext2fs_has_feature_project(sb), "project"},
      {ext2fs_has_feature_mmp(sb), "mmp"},
      {ext2fs_has_feature_ea_inode(sb), "ea_inode"},
      {ext2fs_has_feature_shared_blocks(sb), "shared_blocks"},
      {ext2fs_has_feature_journal_dev(sb), "journal_dev"},
      // resize2fs 1.47.0 leaves an orphan file that e2fsck then finds damaged.
      {ext2fs_has_feature_orphan_file(sb), "orphan_file"},
  };
  for (const auto& [present, name] : checks)
    if (present) found.emplace_back(name);
  // Bits newer than this libext2fs, named as e2fsprogs names them; a read-only open allows them.
  auto unknown = [&](uint32_t bits, uint32_t supported, char kind) {
    for (int bit = 0; bit < 32; ++bit)
      if (bits & ~supported & (1u << bit)) found.push_back(fmt::format("FEATURE_{}{}", kind, bit));
  };
  unknown(sb->s_feature_incompat, EXT2_LIB_FEATURE_INCOMPAT_SUPP, 'I');
  unknown(sb->s_feature_ro_compat, EXT2_LIB_FEATURE_RO_COMPAT_SUPP, 'R');
  return found;
}

Ext4Geometry Ext4Root::geometry() const {
  ext2_super_block* sb = fs_->super;
  return {ext2fs_blocks_count(sb), ext2fs_r_blocks_count(sb), fs_->blocksize, sb->s_blocks_per_group,
          ext2fs_has_feature_flex_bg(sb) ? 1u << sb->s_log_groups_per_flex : 1u};
}

void Ext4Root::set_reserved_blocks(uint64_t blocks) {
  require_writable("set the reserved blocks");
  ext2fs_r_blocks_count_set(fs_->super, blocks);
  ext2fs_mark_super_dirty(fs_.get());
}

std::string Ext4Root::type() const {
  ext2_super_block* sb = fs_->super;
  if (ext2fs_has_feature_extents(sb) || ext2fs_has_feature_flex_bg(sb) || ext2fs_has_feature_64bit(sb) ||
      ext2fs_has_feature_metadata_csum(sb))
    return "ext4";
  return ext2fs_has_feature_journal(sb) ? "ext3" : "ext2";
}

ext2_inode_large Ext4Root::read_inode(Ino ino) {
  ext2_inode_large inode{};
  check(ext2fs_read_inode_full(fs_.get(), ino, reinterpret_cast<ext2_inode*>(&inode), sizeof(inode)),
        fmt::format("read inode {}", ino));
  return inode;
}

void Ext4Root::write_inode(Ino ino, ext2_inode_large& inode) {
  check(ext2fs_write_inode_full(fs_.get(), ino, reinterpret_cast<ext2_inode*>(&inode), sizeof(inode)),
        fmt::format("write inode {}", ino));
}

void Ext4Root::stamp(ext2_inode_large& inode, bool modified, bool created) {
  const int size = EXT2_INODE_SIZE(fs_->super);
  inode.i_ctime = static_cast<uint32_t>(now_);
  if (has_field(inode, offsetof(ext2_inode_large, i_ctime_extra), size)) inode.i_ctime_extra = extra_time(now_);
  if (modified) set_access_and_modification(inode, now_);
  if (created && has_field(inode, offsetof(ext2_inode_large, i_crtime_extra), size)) {
    inode.i_crtime = static_cast<uint32_t>(now_);
    inode.i_crtime_extra = extra_time(now_);
  }
}

void Ext4Root::set_access_and_modification(ext2_inode_large& inode, int64_t seconds) {
  const int size = EXT2_INODE_SIZE(fs_->super);
  inode.i_mtime = inode.i_atime = static_cast<uint32_t>(seconds);
  if (has_field(inode, offsetof(ext2_inode_large, i_mtime_extra), size)) inode.i_mtime_extra = extra_time(seconds);
  if (has_field(inode, offsetof(ext2_inode_large, i_atime_extra), size)) inode.i_atime_extra = extra_time(seconds);
}

void Ext4Root::touch_folder(Ino dir) {
  ext2_inode_large inode = read_inode(dir);
  stamp(inode, true, false);
  write_inode(dir, inode);
}

std::optional<Ext4Root::Ino> Ext4Root::lookup_in(Ino dir, const std::string& name) {
  ext2_ino_t ino = 0;
  errcode_t rc = ext2fs_lookup(fs_.get(), dir, name.c_str(), static_cast<int>(name.size()), nullptr, &ino);
  if (rc == EXT2_ET_FILE_NOT_FOUND || rc == EXT2_ET_NO_DIRECTORY) return std::nullopt;
  check(rc, fmt::format("look up {}", name));
  return ino;
}

std::string Ext4Root::link_target(Ino ino) {
  ext2_inode_large inode = read_inode(ino);
  const uint64_t size = EXT2_I_SIZE(&inode);
  if (ext2fs_is_fast_symlink(reinterpret_cast<ext2_inode*>(&inode)))
    return std::string(reinterpret_cast<const char*>(inode.i_block), std::min<uint64_t>(size, sizeof(inode.i_block)));
  if (size > fs_->blocksize) throw Error(fmt::format("symbolic link inode {} is {} bytes long", ino, size));
  return read_content(ino, size);
}

// Resolves like the kernel inside the image: links in folders are always followed, the last
// component's only when asked; absolute targets start again at the image's root.
std::optional<Ext4Root::Ino> Ext4Root::lookup(const std::string& path, bool follow_last, int depth) {
  if (depth > kMaxLinkDepth) throw Error(fmt::format("too many levels of symbolic links resolving {}", path));
  const std::vector<std::string> parts = split_path(path);
  std::vector<Ino> stack = {EXT2_ROOT_INO};
  std::string so_far = "/";
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part == ".") continue;
    if (part == "..") {
      if (stack.size() > 1) stack.pop_back();
      so_far = fs::path(so_far).parent_path().string();
      continue;
    }
    auto found = lookup_in(stack.back(), part);
    if (!found) return std::nullopt;
    const bool last = i + 1 == parts.size();
    ext2_inode_large inode = read_inode(*found);
    if (LINUX_S_ISLNK(inode.i_mode) && (!last || follow_last)) {
      const std::string target = link_target(*found);
      std::string rest;
      for (size_t j = i + 1; j < parts.size(); ++j) rest += "/" + parts[j];
      const std::string next = target.starts_with("/") ? target + rest : join(so_far, target) + rest;
      return lookup(next, follow_last, depth + 1);
    }
    if (!last && !LINUX_S_ISDIR(inode.i_mode)) return std::nullopt;
    stack.push_back(*found);
    so_far = join(so_far, part);
  }
  return stack.back();
}

Ext4Root::Parent Ext4Root::parent_of(const std::string& path) {
  const fs::path p(path);
  const std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..") throw Error(fmt::format("{} names no file", path));
  auto dir = lookup(p.parent_path().string(), true);
  if (!dir || !is_dir_inode(*dir)) throw Error(fmt::format("{}: its folder does not exist in the image", path));
  return {*dir, name};
}

std::vector<std::pair<std::string, Ext4Root::Ino>> Ext4Root::entries(Ino dir) {
  std::vector<std::pair<std::string, Ino>> names;
  auto collect = [](ext2_ino_t, int, ext2_dir_entry* dirent, int, int, char*, void* data) -> int {
    const int length = ext2fs_dirent_name_len(dirent);
    std::string name(dirent->name, static_cast<size_t>(length));
    if (name != "." && name != "..")
      static_cast<std::vector<std::pair<std::string, Ino>>*>(data)->emplace_back(std::move(name), dirent->inode);
    return 0;
  };
  check(ext2fs_dir_iterate2(fs_.get(), dir, 0, nullptr, collect, &names), fmt::format("read folder inode {}", dir));
  std::sort(names.begin(), names.end());
  return names;
}

bool Ext4Root::is_dir_inode(Ino ino) { return LINUX_S_ISDIR(read_inode(ino).i_mode); }

bool Ext4Root::exists(const std::string& path) { return lookup(path, true).has_value(); }

bool Ext4Root::is_dir(const std::string& path) {
  auto ino = lookup(path, false);
  return ino && is_dir_inode(*ino);
}

bool Ext4Root::is_symlink(const std::string& path) {
  auto ino = lookup(path, false);
  return ino && LINUX_S_ISLNK(read_inode(*ino).i_mode);
}

void Ext4Root::read_chunks(Ino ino, uint64_t size, const std::string& what, const Chunk& put) {
  read_range(ino, 0, size, what, put);
}

void Ext4Root::read_range(Ino ino, uint64_t offset, uint64_t length, const std::string& what, const Chunk& put) {
  ext2_file_t raw = nullptr;
  check(ext2fs_file_open(fs_.get(), ino, 0, &raw), "open " + what);
  Ext2File file(raw);
  check(ext2fs_file_llseek(file.get(), offset, EXT2_SEEK_SET, nullptr), "seek in " + what);
  std::vector<char> buffer(std::min<uint64_t>(length, kChunk));
  for (uint64_t done = 0; done < length;) {
    unsigned int got = 0;
    const auto want = static_cast<unsigned>(std::min<uint64_t>(length - done, buffer.size()));
    check(ext2fs_file_read(file.get(), buffer.data(), want, &got), "read " + what);
    if (got == 0)
      throw Error(fmt::format("read {}: {} of {} bytes{}", what, done, length,
                              offset == 0 ? "" : fmt::format(" at {}", offset)));
    put(buffer.data(), got);
    done += got;
  }
}

std::vector<std::pair<uint64_t, uint64_t>> Ext4Root::data_ranges(Ino ino, const ext2_inode_large& inode) {
  const uint64_t size = EXT2_I_SIZE(&inode);
  auto* plain = const_cast<ext2_inode*>(reinterpret_cast<const ext2_inode*>(&inode));
  // Blocks allocated (metadata included) for every byte: no hole, nothing to map.
  if (size == 0 || ext2fs_get_stat_i_blocks(fs_.get(), plain) * 512 >= size) return {{0, size}};
  struct Mapping {
    uint64_t block_size, size;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
  } mapping{fs_->blocksize, size, {}};
  // Only the blocks that are there are visited: the work is bounded by the file's real blocks.
  const auto each_block = [](ext2_filsys, blk64_t*, e2_blkcnt_t logical, blk64_t, int, void* data) -> int {
    auto& m = *static_cast<Mapping*>(data);
    const uint64_t start = static_cast<uint64_t>(logical) * m.block_size;
    if (logical < 0 || start >= m.size) return 0;
    const uint64_t length = std::min(m.block_size, m.size - start);
    if (!m.ranges.empty() && m.ranges.back().first + m.ranges.back().second == start)
      m.ranges.back().second += length;
    else
      m.ranges.emplace_back(start, length);
    return 0;
  };
  check(
      ext2fs_block_iterate3(fs_.get(), ino, BLOCK_FLAG_DATA_ONLY | BLOCK_FLAG_READ_ONLY, nullptr, each_block, &mapping),
      fmt::format("map the blocks of inode {}", ino));
  std::sort(mapping.ranges.begin(), mapping.ranges.end());
  return mapping.ranges;
}

std::string Ext4Root::read_content(Ino ino, size_t limit) {
  const ext2_inode_large inode = read_inode(ino);
  std::string content;
  read_chunks(ino, std::min<uint64_t>(EXT2_I_SIZE(&inode), limit), fmt::format("inode {}", ino),
              [&](const char* data, size_t size) { content.append(data, size); });
  return content;
}

std::optional<std::string> Ext4Root::read_file(const std::string& path) {
  auto ino = lookup(path, false);
  if (!ino) return std::nullopt;
  const ext2_inode_large inode = read_inode(*ino);
  if (!LINUX_S_ISREG(inode.i_mode)) return std::nullopt;
  if (EXT2_I_SIZE(&inode) > kMaxReadFile) refuse_oversized(path, EXT2_I_SIZE(&inode));
  return read_content(*ino, SIZE_MAX);
}

std::optional<std::string> Ext4Root::read_through_links(const std::string& path, size_t limit) {
  auto ino = lookup(path, true);
  if (!ino || !LINUX_S_ISREG(read_inode(*ino).i_mode)) return std::nullopt;
  return read_content(*ino, limit);
}

RootStat Ext4Root::lstat(const std::string& path) {
  auto ino = lookup(path, false);
  if (!ino) throw Error(fmt::format("lstat {}: no such file in the image", path));
  const ext2_inode_large inode = read_inode(*ino);
  return {inode.i_mode, inode_uid(inode), inode_gid(inode), EXT2_I_SIZE(&inode), inode.i_links_count};
}

std::vector<std::string> Ext4Root::glob(const std::string& pattern) {
  GlobTree tree;
  tree.list = [this](const std::string& folder) -> std::optional<std::vector<std::string>> {
    auto ino = lookup(folder, true);
    if (!ino || !is_dir_inode(*ino)) return std::nullopt;
    std::vector<std::string> names;
    for (auto& [name, child] : entries(*ino)) names.push_back(name);
    return names;
  };
  tree.exists = [this](const std::string& path) { return lookup(path, false).has_value(); };
  return expand_glob(pattern, tree);
}

namespace {
// Far beyond any real root (Alpine's deepest path has 12 levels, PATH_MAX is 4096 bytes).
constexpr size_t kMaxWalkDepth = 256, kMaxWalkPath = 4096;
}  // namespace

void Ext4Root::walk(Ino dir, const std::string& path, const std::function<void(const std::string&, Ino)>& visit) {
  std::set<Ino> folders{dir};
  walk_below(dir, path, 0, folders, visit);
}

void Ext4Root::walk_below(Ino dir, const std::string& path, size_t depth, std::set<Ino>& folders,
                          const std::function<void(const std::string&, Ino)>& visit) {
  if (depth >= kMaxWalkDepth)
    throw Error(fmt::format("{} in {}: folders nested deeper than {} levels; the root filesystem is damaged or hostile",
                            printable(path.substr(0, 200)) + "...", file_.filename().string(), kMaxWalkDepth));
  for (const auto& [name, ino] : entries(dir)) {
    interrupt::throw_if_requested();  // a walk of a big root ends at a signal, its files removed
    const std::string child = join(path, name);
    if (child.size() > kMaxWalkPath)
      throw Error(fmt::format("{}... in {}: a path longer than {} bytes; the root filesystem is damaged or hostile",
                              printable(child.substr(0, 200)), file_.filename().string(), kMaxWalkPath));
    visit(child, ino);
    if (!is_dir_inode(ino)) continue;
    if (!folders.insert(ino).second)
      throw Error(
          fmt::format("{} in {} is a folder met before (inode {}): the root filesystem has a folder cycle; "
                      "it is damaged (e2fsck -f would repair it)",
                      printable(child), file_.filename().string(), ino));
    walk_below(ino, child, depth + 1, folders, visit);
  }
}

std::vector<std::string> Ext4Root::other_names(const std::string& path) {
  auto ino = lookup(path, true);
  if (!ino) return {};
  const ext2_inode_large inode = read_inode(*ino);
  if (!LINUX_S_ISREG(inode.i_mode) || inode.i_links_count < 2) return {};
  std::vector<std::string> names;
  walk(EXT2_ROOT_INO, "/", [&](const std::string& name, Ino found) {
    if (found == *ino && name != path) names.push_back(name);
  });
  return names;
}

}  // namespace trustnet::baker
