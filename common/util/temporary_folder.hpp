#pragma once
// A folder made beside its final place under a name no one can guess, filled by the caller, then
// renamed into place whole by commit(); removed on scope exit unless committed. A reader of the
// final place sees the old folder or the new one, never a half-written one.
#include <filesystem>

namespace trustnet {

class TemporaryFolder {
 public:
  explicit TemporaryFolder(std::filesystem::path final_path);
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  ~TemporaryFolder();

  const std::filesystem::path& path() const { return path_; }
  // Replaces the final folder (mode 0755: a release folder is for everyone to read): the old
  // one is moved aside first and removed after.
  void commit();

 private:
  std::filesystem::path final_, path_;
  bool committed_ = false;
};

}  // namespace trustnet
