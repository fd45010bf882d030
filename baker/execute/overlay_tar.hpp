#pragma once
// An overlay folder as one tar stream for libguestfs' tar_in, made with libarchive: file modes
// are kept, owners are set to the recipe's ids. Folders are not in the archive: the executor
// creates the missing ones itself so that folders the image already has keep their metadata.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trustnet::baker {

struct OverlayEntry {
  enum class Kind { file, directory, symlink };
  Kind kind = Kind::file;
  std::string path;   // absolute path in the image
  uint32_t mode = 0;  // permission bits only
  uint64_t size = 0;
  std::string sha256;            // files only
  std::string link_target;       // symlinks only
  std::filesystem::path source;  // the file in the overlay folder
  int64_t mtime = 0;             // its modification time, used when SOURCE_DATE_EPOCH is unset
};

struct OverlayArchive {
  std::vector<OverlayEntry> directories;  // parents before children
  std::vector<OverlayEntry> entries;      // files and symlinks, in archive order
};

// The overlay as it will be in the image (paths, modes, digests), checked as below, without
// writing anything.
OverlayArchive read_overlay(const std::filesystem::path& source, const std::string& destination,
                            const std::map<std::string, uint32_t>& modes = {});

// Writes the archive to `tar_file`. Entries are sorted so the same folder gives the same bytes;
// mtimes are `source_date_epoch` when it is set (the caller read SOURCE_DATE_EPOCH once), else
// the files' own. Modes do not depend on the checkout (git
// keeps only the executable bit; the umask decides the rest): folders 0755, files 0755 when their
// owner may execute them, else 0644, unless `modes` names the path. A setuid, setgid, sticky or
// world-writable file or folder is refused unless `modes` names it, as is a name in `modes` that
// the overlay does not hold.
OverlayArchive write_overlay_tar(const std::filesystem::path& source, const std::string& destination, uint32_t uid,
                                 uint32_t gid, const std::filesystem::path& tar_file,
                                 std::optional<int64_t> source_date_epoch,
                                 const std::map<std::string, uint32_t>& modes = {});

}  // namespace trustnet::baker
