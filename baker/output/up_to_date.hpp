#pragma once
// Whether out/NAME.qcow2 is what a bake would make now, decided without opening any image: its report
// holds the fingerprint of what made it (recipe, overlays, bake itself, SOURCE_DATE_EPOCH), and
// the image and listing beside it must still be the ones the report names. Input pins live in the
// recipe files, so a changed input is a changed recipe.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "baker/plan/plan.hpp"
#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

struct BakeFingerprint {
  std::string recipe;    // Recipe::digest(): recipe, include, override and key files
  std::string overlays;  // every overlay entry as it lands: path, mode, digest, link target
  std::string tool;      // sha256 of the running bake
  std::optional<int64_t> source_date_epoch;
};

BakeFingerprint fingerprint_of(const Recipe& recipe, const Plan& plan, std::optional<int64_t> source_date_epoch);
nlohmann::json fingerprint_json(const BakeFingerprint& fingerprint);

struct Freshness {
  bool up_to_date = false;
  std::string reason;  // why not: "the recipe changed (...)"
};

Freshness check_freshness(const std::filesystem::path& image, const std::filesystem::path& report,
                          const BakeFingerprint& now);

}  // namespace trustnet::baker
