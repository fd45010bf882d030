#pragma once
// A private folder (0700) for work files, named like a TemporaryPath of `final_path` so that
// remove_leftover_temporaries() finds it after a killed run; removed with what it holds on scope
// exit.
#include <filesystem>

namespace trustnet {

class ScratchFolder {
 public:
  explicit ScratchFolder(const std::filesystem::path& final_path);
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder();

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace trustnet
