#include "baker/run/image_listing.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "baker/execute/executor.hpp"
#include "baker/execute/guestfs/guest_session.hpp"
#include "baker/output/content_listing.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/scratch_folder.hpp"
#include "common/util/text_file.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;
using nlohmann::json;

std::string listing_of(const fs::path& operand, ApplianceAccel accel, BakeEngine engine) {
  if (!fs::is_regular_file(operand))
    throw Error(fmt::format("{} does not exist", operand.string()), ExitCode::bad_input);
  const std::string name = operand.filename().string();
  if (name.ends_with(".mtree")) return read_text_file(operand);
  if (name.ends_with(".manifest.json")) {
    try {
      const json manifest = json::parse(read_text_file(operand));
      return read_text_file(operand.parent_path() / manifest.at("contents").at("file").get<std::string>());
    } catch (const json::exception& e) {
      throw Error(fmt::format("{} is not a release manifest: {}", operand.string(), e.what()), ExitCode::bad_input);
    }
  }
  // Anything else must be a disk image; a small raw "image" is a file given by mistake.
  if (GuestSession::detect_format(operand) != "qcow2" && fs::file_size(operand) < (1 << 20))
    throw Error(fmt::format("{} is not a disk image, a NAME.manifest.json or a NAME.mtree", operand.string()),
                ExitCode::bad_input);
  TemporaryPath tar(fs::temp_directory_path() /
                    fmt::format("trustnet-contents-{}.tar", ::getpid()));  // removed on return
  const ScratchFolder scratch(fs::temp_directory_path() / fmt::format("trustnet-contents-{}.disk", ::getpid()));
  if (const auto fallback = pack_image_root(operand, accel, tar.path(), scratch.path(), engine))
    fmt::print(stderr, "bake: {}: {}\n", operand.string(), *fallback);
  return mtree_from_tar(tar.path());
}

}  // namespace trustnet::baker
