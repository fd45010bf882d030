#include "common/release/qemu_image_info.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/util/error.hpp"
#include "common/util/process.hpp"

namespace trustnet {

QemuImageInfo qemu_image_info(const std::filesystem::path& image, const std::string& format) {
  std::vector<std::string> argv{"qemu-img", "info", "--output=json", "-U"};
  if (!format.empty()) argv.insert(argv.end(), {"-f", format});
  argv.push_back(image.string());
  const std::string out = run_checked(argv);
  try {
    const auto j = nlohmann::json::parse(out);
    QemuImageInfo info;
    info.format = j.at("format").get<std::string>();
    info.virtual_size = j.at("virtual-size").get<uint64_t>();
    if (j.contains("backing-filename")) info.backing_file = j["backing-filename"].get<std::string>();
    if (j.contains("format-specific") && j["format-specific"].contains("data") &&
        j["format-specific"]["data"].contains("data-file"))
      info.data_file = j["format-specific"]["data"]["data-file"].get<std::string>();
    return info;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("cannot read qemu-img's description of {}: {}", image.string(), e.what()));
  }
}

void require_self_contained(const QemuImageInfo& info, const std::filesystem::path& image, const std::string& what) {
  if (info.backing_file)
    throw Error(
        fmt::format(
            "{} {} has a backing file ({}): its content is not all in the file whose digest is pinned; flatten it with "
            "`qemu-img convert -O qcow2` and pin the result",
            what, image.string(), *info.backing_file),
        ExitCode::bad_input);
  if (info.data_file)
    throw Error(
        fmt::format(
            "{} {} keeps its data in another file ({}); flatten it with `qemu-img convert -O qcow2` and pin the result",
            what, image.string(), *info.data_file),
        ExitCode::bad_input);
}

}  // namespace trustnet
