#pragma once
// A recipe loaded once for everything `bake` does with it: judging whether its image is up to
// date, fetching its inputs, baking it. Nothing after the load reads the recipe, its includes or
// its key files again, so what is judged is what is baked.
#include <cstdint>
#include <filesystem>
#include <optional>

#include "baker/output/up_to_date.hpp"
#include "baker/plan/plan.hpp"
#include "baker/recipe/recipe_loader.hpp"

namespace trustnet::baker {

struct PreparedBake {
  Recipe recipe;
  Plan plan;                    // its inputs point at the cache once fetched (use_cached_inputs)
  BakeFingerprint fingerprint;  // taken at the load: an overlay edited during the bake must not look baked
};

// Loads the recipe, plans it, refuses unpinned inputs and takes the fingerprint.
PreparedBake prepare_bake(const std::filesystem::path& recipe_file, const LoadOptions& load,
                          std::optional<int64_t> source_date_epoch);

}  // namespace trustnet::baker
