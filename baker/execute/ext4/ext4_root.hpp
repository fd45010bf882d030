#pragma once
// The root filesystem edited in this process with libext2fs, the library e2fsprogs is built on:
// no appliance, no kernel, no privileges. The file holds the partition's bytes from byte 0.
// Everything it writes gets the time `now` (SOURCE_DATE_EPOCH in a reproducible bake): the
// inode's access, modification, change and creation times, and the folders it writes into.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "baker/execute/root_filesystem.hpp"
#include "common/handles/ext2fs_handle.hpp"

namespace trustnet::baker {

struct Ext4Geometry {
  uint64_t blocks = 0, reserved_blocks = 0;
  uint32_t block_size = 0, blocks_per_group = 0, groups_per_flex = 1;
};

class Ext4Root final : public RootFilesystem {
 public:
  Ext4Root(const std::filesystem::path& partition, bool writable, int64_t now);
  // Writes what is pending (bitmaps, group descriptors, superblocks); an Error when it cannot.
  // Without it, the destructor drops the pending changes.
  void close();

  // The filesystem's features this engine does not edit (empty when it edits them all), e.g.
  // "inline_data": the caller falls back to libguestfs naming them.
  std::vector<std::string> unsupported_features() const;
  Ext4Geometry geometry() const;
  void set_reserved_blocks(uint64_t blocks);
  std::string type() const;  // ext2, ext3 or ext4
  // Content of a file through symbolic links (at most `limit` bytes); nothing when absent.
  std::optional<std::string> read_through_links(const std::string& path, size_t limit) override;

  bool exists(const std::string& path) override;
  bool is_dir(const std::string& path) override;
  bool is_symlink(const std::string& path) override;
  std::optional<std::string> read_file(const std::string& path) override;
  void write_file(const std::string& path, const std::string& content) override;
  void upload(const std::filesystem::path& local, const std::string& path) override;
  void mkdir(const std::string& path) override;
  void chmod(uint32_t mode, const std::string& path) override;
  void lchown(uint32_t uid, uint32_t gid, const std::string& path) override;
  void symlink(const std::string& target, const std::string& link) override;
  std::vector<std::string> glob(const std::string& pattern) override;
  void remove(const std::string& path) override;
  void remove_tree(const std::string& path) override;
  void truncate(const std::string& path) override;
  RootStat lstat(const std::string& path) override;
  void set_times(const std::string& path, int64_t seconds) override;
  void unpack_tar(const std::filesystem::path& tar, const std::string& directory) override;
  void pack_tar(const std::filesystem::path& tar) override;
  std::vector<std::string> other_names(const std::string& path) override;

 private:
  using Ino = uint32_t;
  static constexpr size_t kChunk = 1 << 20;  // what the engine reads and writes at a time
  using Chunk = std::function<void(const char*, size_t)>;
  using Writer = std::function<void(const Chunk&)>;
  struct Parent {
    Ino dir = 0;
    std::string name;
  };

  [[noreturn]] void fail(long code, const std::string& operation) const;
  void check(long code, const std::string& operation) const {
    if (code) fail(code, operation);
  }
  void require_writable(const std::string& operation) const;

  std::optional<Ino> lookup(const std::string& path, bool follow_last, int depth = 0);
  std::optional<Ino> lookup_in(Ino dir, const std::string& name);
  bool is_dir_inode(Ino ino);
  std::string read_content(Ino ino, size_t limit);
  void read_chunks(Ino ino, uint64_t size, const std::string& what, const Chunk& put);  // exactly `size` bytes
  // A regular file's data as (offset, length) ranges, holes left out; its whole size in one range
  // when it has no hole.
  std::vector<std::pair<uint64_t, uint64_t>> data_ranges(Ino ino, const struct ext2_inode_large& inode);
  // The bytes from `offset` to `offset + length`.
  void read_range(Ino ino, uint64_t offset, uint64_t length, const std::string& what, const Chunk& put);
  Parent parent_of(const std::string& path);
  std::vector<std::pair<std::string, Ino>> entries(Ino dir);
  std::string link_target(Ino ino);

  struct ext2_inode_large read_inode(Ino ino);
  void write_inode(Ino ino, struct ext2_inode_large& inode);
  void stamp(struct ext2_inode_large& inode, bool modified, bool created);  // times to now_
  void set_access_and_modification(struct ext2_inode_large& inode, int64_t seconds);
  void touch_folder(Ino dir);  // an entry came or went
  Ino create_inode(Ino dir, const std::string& name, uint32_t mode, int file_type);
  void link_retrying(Ino dir, const std::string& name, Ino ino, int file_type);
  void write_content(const std::string& path, const Writer& writer, bool follow);
  void fill(Ino ino, const Writer& writer);
  void unlink_entry(Ino dir, const std::string& name, Ino ino);
  void drop_link(Ino ino);
  // The inode's extended attributes, by name, read from the inode and its attribute block.
  std::vector<std::pair<std::string, std::string>> attributes(Ino ino);
  Ext2Xattrs open_attributes(Ino ino, const char* what);
  // Removes them all: a file whose content the bake replaces keeps none of the base's (a file
  // capability, a label), as chown(2) drops a file capability.
  void drop_attributes(Ino ino);
  void remove_entry(Ino dir, const std::string& name, Ino ino);
  // Every entry below `dir`, folders before what they hold. A root that is damaged or hostile
  // cannot make it endless: a folder met twice (a cycle), folders nested deeper than
  // kMaxWalkDepth or a path longer than kMaxWalkPath is an Error naming the path.
  void walk(Ino dir, const std::string& path, const std::function<void(const std::string&, Ino)>& visit);
  void walk_below(Ino dir, const std::string& path, size_t depth, std::set<Ino>& folders,
                  const std::function<void(const std::string&, Ino)>& visit);

  Ext2Filesystem fs_;
  std::filesystem::path file_;
  bool writable_;
  int64_t now_;
};

}  // namespace trustnet::baker
