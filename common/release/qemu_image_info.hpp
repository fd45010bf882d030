#pragma once
// What `qemu-img info` says of an image: its format, virtual size, and whether its content lives
// partly elsewhere (a backing file, or a qcow2 external data file). A pinned digest covers only
// the file it was taken of: an image that reads another file is refused wherever it is used.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace trustnet {

struct QemuImageInfo {
  std::string format;
  uint64_t virtual_size = 0;
  std::optional<std::string> backing_file;
  std::optional<std::string> data_file;
};

// `format` empty: probed by qemu-img. Runs with -U (no lock), so a running QEMU does not stop it.
QemuImageInfo qemu_image_info(const std::filesystem::path& image, const std::string& format = "");

// Throws Error (bad input) when the image reads a backing file or an external data file; `what`
// names the image in the message ("base image", "golden image of node").
void require_self_contained(const QemuImageInfo& info, const std::filesystem::path& image, const std::string& what);

}  // namespace trustnet
