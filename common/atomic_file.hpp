#pragma once
// Write-then-rename: readers see the old file or the complete new one, never a half-written one.
#include <filesystem>
#include <string_view>

namespace trustnet {

// Writes `content` to a temporary file beside `target`, syncs it and renames it over `target`.
void write_file_atomically(const std::filesystem::path& target, std::string_view content,
                           std::filesystem::perms mode = std::filesystem::perms(0644));

// A path that is removed when the guard goes out of scope unless commit() renamed it into place.
class TemporaryPath {
 public:
  // The temporary path lives beside `final_path` so that the rename stays on one filesystem.
  explicit TemporaryPath(std::filesystem::path final_path);
  TemporaryPath(const TemporaryPath&) = delete;
  TemporaryPath& operator=(const TemporaryPath&) = delete;
  ~TemporaryPath();

  const std::filesystem::path& path() const { return temporary_; }
  const std::filesystem::path& final_path() const { return final_; }
  // Syncs the file, renames it to the final path and syncs the directory.
  void commit();

 private:
  std::filesystem::path final_;
  std::filesystem::path temporary_;
  bool committed_ = false;
};

}  // namespace trustnet
