#pragma once
// The root filesystem mounted on / in a libguestfs appliance, as a RootFilesystem.
#include "baker/execute/guestfs/guest_session.hpp"
#include "baker/execute/root_filesystem.hpp"

namespace trustnet::baker {

class GuestRoot final : public RootFilesystem {
 public:
  explicit GuestRoot(GuestSession& guest) : guest_(guest) {}

  bool exists(const std::string& path) override { return guest_.exists(path); }
  bool is_dir(const std::string& path) override { return guest_.is_dir(path); }
  bool is_symlink(const std::string& path) override { return guest_.is_symlink(path); }
  std::optional<std::string> read_file(const std::string& path) override { return guest_.read_file(path); }
  std::optional<std::string> read_through_links(const std::string& path, size_t limit) override {
    if (!guest_.exists(path)) return std::nullopt;
    const std::string real = guest_.resolve(path);
    if (guest_.is_dir(real)) return std::nullopt;
    return guest_.read_head(real, limit);
  }
  void write_file(const std::string& path, const std::string& content) override { guest_.write_file(path, content); }
  void upload(const std::filesystem::path& local, const std::string& path) override { guest_.upload(local, path); }
  void mkdir(const std::string& path) override { guest_.mkdir(path); }
  void chmod(uint32_t mode, const std::string& path) override { guest_.chmod(mode, path); }
  void lchown(uint32_t uid, uint32_t gid, const std::string& path) override { guest_.chown(uid, gid, path); }
  void symlink(const std::string& target, const std::string& link) override { guest_.symlink(target, link); }
  std::vector<std::string> glob(const std::string& pattern) override { return guest_.glob(pattern); }
  void remove(const std::string& path) override { guest_.remove(path); }
  void remove_tree(const std::string& path) override { guest_.remove_tree(path); }
  void truncate(const std::string& path) override { guest_.truncate(path); }
  RootStat lstat(const std::string& path) override;
  void set_times(const std::string& path, int64_t seconds) override { guest_.set_times(path, seconds); }
  void unpack_tar(const std::filesystem::path& tar, const std::string& directory) override {
    guest_.tar_in(tar, directory);
  }
  void pack_tar(const std::filesystem::path& tar) override { guest_.tar_out("/", tar); }
  std::vector<std::string> other_names(const std::string& path) override;

 private:
  GuestSession& guest_;
};

}  // namespace trustnet::baker
