#include "baker/execute/bake_engine.hpp"

#include <fmt/format.h>

#include "common/util/error.hpp"

namespace trustnet::baker {

BakeEngine parse_bake_engine(const std::string& name) {
  if (name == "auto") return BakeEngine::automatic;
  if (name == "ext4") return BakeEngine::ext4;
  if (name == "guestfs") return BakeEngine::guestfs;
  throw Error(fmt::format("--engine {}: expected auto, ext4 or guestfs", name), ExitCode::bad_input);
}

}  // namespace trustnet::baker
