// The recipe loader on arbitrary YAML text: strict keys, includes, validation.
#include "baker/recipe/recipe_loader.hpp"
#include "common/util/error.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = trustnet::fuzz::write_input("recipe.yaml", data, size);
  try {
    trustnet::baker::load_recipe(file);
  } catch (const trustnet::Error&) {
  }
  return 0;
}
