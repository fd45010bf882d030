#pragma once
// Bakes prepared recipes: their missing inputs fetched once each, then the images side by side,
// the direct engine's in this process and the others sharing libguestfs appliances (see
// execute/guestfs/appliance_pool.hpp).
#include <vector>

#include "baker/run/bake_options.hpp"
#include "baker/run/prepared_bake.hpp"

namespace trustnet::baker {

// A failure fails its image only (a fetch that fails stops them all, before any bake); an
// interrupt is thrown.
std::vector<BakeResult> bake_images(std::vector<PreparedBake> prepared, const BakeOptions& options);

}  // namespace trustnet::baker
