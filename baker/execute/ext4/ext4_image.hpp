#pragma once
// The ext4 engine's image: the base's split disk (direct_disk.hpp) edited in this process with
// libext2fs; closing it checks the filesystem (e2fsck -fn) and joins the disk into the qcow2.
#include <cstdint>
#include <filesystem>
#include <optional>

#include "baker/execute/ext4/direct_disk.hpp"
#include "baker/execute/ext4/ext4_root.hpp"
#include "baker/execute/open_image.hpp"

namespace trustnet::baker {

class Ext4Image final : public OpenImage {
 public:
  // Every time the engine writes is `now`; `image` is the qcow2 close() writes.
  Ext4Image(DirectDisk& disk, std::filesystem::path image, int64_t now)
      : disk_(disk), image_(std::move(image)), now_(now) {}

  std::string engine() const override { return "ext4"; }
  Inspection inspect() override;
  Grown grow(const Inspection& found) override;
  RootFilesystem& root() override;
  void pack(const Inspection& found, const std::filesystem::path& tar) override;
  void close(Progress& progress) override;

 private:
  DirectDisk& disk_;
  std::filesystem::path image_;
  int64_t now_;
  std::optional<Ext4Root> root_;  // open for writing once grown
};

}  // namespace trustnet::baker
