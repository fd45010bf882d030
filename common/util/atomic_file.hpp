#pragma once
// Write-then-rename: readers see the old file or the complete new one, never a half-written one.
// Temporary files are made like mkstemp(3) makes them: created by us (O_EXCL, O_NOFOLLOW) under a
// name no one can guess, 0600 from the first moment, so that nothing planted in the folder can
// be followed or read.
#include <filesystem>
#include <string_view>
#include <vector>

namespace trustnet {

// Writes `content` to a temporary file beside `target`, syncs it and renames it over `target`.
void write_file_atomically(const std::filesystem::path& target, std::string_view content,
                           std::filesystem::perms mode = std::filesystem::perms(0644));

// A temporary file that is removed when the guard goes out of scope unless commit() renamed it
// into place. It exists (empty, 0600) from construction: writers open it and truncate it.
class TemporaryPath {
 public:
  // The temporary file lives beside `final_path` so that the rename stays on one filesystem; its
  // name is ".NAME.tmp-PID-RANDOM" (the pid lets a later run recognise a dead process's leftovers).
  // `final_mode` is set at commit, before the rename.
  explicit TemporaryPath(std::filesystem::path final_path,
                         std::filesystem::perms final_mode = std::filesystem::perms(0600));
  TemporaryPath(const TemporaryPath&) = delete;
  TemporaryPath& operator=(const TemporaryPath&) = delete;
  ~TemporaryPath();

  const std::filesystem::path& path() const { return temporary_; }
  const std::filesystem::path& final_path() const { return final_; }
  // Sets the final mode, syncs the file, renames it to the final path and syncs the directory.
  void commit();

 private:
  std::filesystem::path final_;
  std::filesystem::perms final_mode_;
  std::filesystem::path temporary_;
  bool committed_ = false;
};

// The prefix of every temporary name TemporaryPath gives for `final_path` (".NAME.tmp-").
std::string temporary_prefix(const std::filesystem::path& final_path);
// A new temporary name beside `final_path`: the prefix, this process's id, a random suffix.
std::filesystem::path temporary_name(const std::filesystem::path& final_path);

// Removes the temporary files TemporaryPath (and folders ScratchFolder) made for `final_path` in an earlier process
// that is gone (killed with SIGKILL, or by a power cut): the caller must hold the lock that keeps live writers of
// `final_path` away. Returns what it removed.
std::vector<std::filesystem::path> remove_leftover_temporaries(const std::filesystem::path& final_path);

// 16 hexadecimal digits from the kernel's random source.
std::string random_suffix();

}  // namespace trustnet
