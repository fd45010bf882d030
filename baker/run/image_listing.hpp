#pragma once
// The content listing (mtree) of what `bake contents` and `bake diff` are given: an image (its
// root packed by the direct engine or a read-only libguestfs appliance), a release manifest (its
// listing file) or an mtree file.
#include <filesystem>
#include <string>

#include "baker/execute/bake_engine.hpp"
#include "baker/execute/guestfs/appliance_settings.hpp"

namespace trustnet::baker {

std::string listing_of(const std::filesystem::path& operand, ApplianceAccel accel,
                       BakeEngine engine = BakeEngine::automatic);

}  // namespace trustnet::baker
