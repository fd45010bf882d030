#include "baker/run/prepared_bake.hpp"

#include "baker/fetch/plan_inputs.hpp"

namespace trustnet::baker {

PreparedBake prepare_bake(const std::filesystem::path& recipe_file, const LoadOptions& load,
                          std::optional<int64_t> source_date_epoch) {
  PreparedBake prepared;
  prepared.recipe = load_recipe(recipe_file, load);
  prepared.plan = make_plan(prepared.recipe);
  refuse_unpinned(prepared.plan);  // in the words `bake fetch` uses
  prepared.fingerprint = fingerprint_of(prepared.recipe, prepared.plan, source_date_epoch);
  return prepared;
}

}  // namespace trustnet::baker
