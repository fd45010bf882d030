#pragma once
// The root filesystem of the image being baked, as the plan's steps see it: paths are absolute in
// the image and resolve through its own symbolic links, never the host's. Two engines implement
// it: Ext4Root (libext2fs, in this process) and GuestRoot (a libguestfs appliance); the unit
// tests add one in memory. Every failure is an Error naming the operation and the path.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace trustnet::baker {

struct RootStat {
  uint32_t mode = 0;  // with file type bits
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  uint32_t links = 1;  // names of the same file
};

// The most a file the bake reads to edit (accounts, configuration) may hold: far beyond any real
// one, and a bound on what a damaged or hostile base can make the bake read into memory.
inline constexpr uint64_t kMaxReadFile = 16ULL << 20;

// The Error of a file over kMaxReadFile, naming it and its size.
[[noreturn]] void refuse_oversized(const std::string& path, uint64_t size);

class RootFilesystem {
 public:
  virtual ~RootFilesystem() = default;

  virtual bool exists(const std::string& path) = 0;      // through symbolic links; a dangling one is absent
  virtual bool is_dir(const std::string& path) = 0;      // the path itself, not what a link points at
  virtual bool is_symlink(const std::string& path) = 0;  //
  // A regular file's content (the path itself must be one, not a link); nothing when absent; an
  // Error (refuse_oversized) when it holds more than kMaxReadFile.
  virtual std::optional<std::string> read_file(const std::string& path) = 0;
  // At most the first `limit` bytes of the regular file `path` names, following its links
  // (/etc/os-release is one on Alpine); nothing when there is none.
  virtual std::optional<std::string> read_through_links(const std::string& path, size_t limit) = 0;
  // An existing file is rewritten in place (the same inode: its mode, owner and other names stay;
  // its extended attributes and file capability, which described the old content, go); a new one
  // is made 0644 root:root.
  virtual void write_file(const std::string& path, const std::string& content) = 0;
  virtual void upload(const std::filesystem::path& local, const std::string& path) = 0;  // as write_file
  virtual void mkdir(const std::string& path) = 0;  // one level, 0755 root:root; the parent must exist
  virtual void chmod(uint32_t mode, const std::string& path) = 0;
  virtual void lchown(uint32_t uid, uint32_t gid, const std::string& path) = 0;
  virtual void symlink(const std::string& target, const std::string& link) = 0;  // replaces a file or link there
  virtual std::vector<std::string> glob(const std::string& pattern) = 0;         // sorted, like glob(3)
  virtual void remove(const std::string& path) = 0;                              // a file or link; nothing when absent
  virtual void remove_tree(const std::string& path) = 0;  // with everything under it; nothing when absent
  virtual void truncate(const std::string& path) = 0;     // to zero bytes, in place, attributes dropped
  virtual RootStat lstat(const std::string& path) = 0;
  virtual void set_times(const std::string& path, int64_t seconds) = 0;  // access and modification time
  // Unpacks an uncompressed tar of files and links (owners, modes and times as the archive says).
  virtual void unpack_tar(const std::filesystem::path& tar, const std::string& directory) = 0;
  // Packs the whole tree into an uncompressed tar with numeric owners: the source of the listing.
  virtual void pack_tar(const std::filesystem::path& tar) = 0;
  // The other names of the file at `path` (hard links), which an in-place write changed too.
  virtual std::vector<std::string> other_names(const std::string& path) = 0;
};

}  // namespace trustnet::baker
