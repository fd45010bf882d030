#include "baker/output/up_to_date.hpp"

#include <fmt/format.h>

#include "baker/execute/overlay_tar.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The digest of every overlay as the image would get it; the folder's path and file times are
// left out (a checkout elsewhere or a touched file bakes the same image).
std::string overlays_digest(const Plan& plan) {
  Sha256 hash;
  for (const auto& step : plan.steps) {
    const auto* overlay = std::get_if<UnpackOverlay>(&step);
    if (!overlay) continue;
    OverlayArchive archive = read_overlay(overlay->source, overlay->destination, overlay->modes);
    hash.update(fmt::format("overlay {} {}:{}\n", overlay->destination, overlay->owner.user, overlay->owner.group));
    for (const auto& d : archive.directories) hash.update(fmt::format("d {:o} {}\n", d.mode, d.path));
    for (const auto& e : archive.entries)
      hash.update(e.kind == OverlayEntry::Kind::symlink
                      ? fmt::format("l {} -> {}\n", e.path, e.link_target)
                      : fmt::format("f {:o} {} {} {}\n", e.mode, e.size, e.sha256, e.path));
  }
  return hash.hex_digest();
}

std::string running_tool_digest() {
  static const std::string digest = sha256_file("/proc/self/exe");
  return digest;
}

std::optional<json> read_report(const fs::path& report) {
  try {
    return json::parse(read_text_file(report));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string text_at(const json& doc, const json::json_pointer& pointer) {
  return doc.contains(pointer) && doc[pointer].is_string() ? doc[pointer].get<std::string>() : "";
}

}  // namespace

BakeFingerprint fingerprint_of(const Recipe& recipe, const Plan& plan, std::optional<int64_t> source_date_epoch) {
  return {recipe.digest(), overlays_digest(plan), running_tool_digest(), source_date_epoch};
}

json fingerprint_json(const BakeFingerprint& f) {
  return {{"recipe_sha256", f.recipe},
          {"overlays_sha256", f.overlays},
          {"tool_sha256", f.tool},
          {"source_date_epoch", f.source_date_epoch ? json(*f.source_date_epoch) : json(nullptr)}};
}

Freshness check_freshness(const fs::path& image, const fs::path& report, const BakeFingerprint& now) {
  if (!fs::exists(image)) return {false, fmt::format("{} does not exist", image.string())};
  std::optional<json> doc = read_report(report);
  if (!doc || !doc->is_object()) return {false, fmt::format("its report {} is missing or unreadable", report.string())};
  if (!doc->contains("fingerprint"))
    return {false, fmt::format("its report {} predates up-to-date checks", report.string())};
  const json then = (*doc)["fingerprint"];
  const json current = fingerprint_json(now);
  if (then.value("recipe_sha256", "") != now.recipe)
    return {false, "the recipe changed (a recipe, include, override or key file)"};
  if (then.value("overlays_sha256", "") != now.overlays) return {false, "an overlay file changed"};
  if (then.value("tool_sha256", "") != now.tool) return {false, "bake itself changed"};
  if (then.value("source_date_epoch", json(nullptr)) != current["source_date_epoch"])
    return {false, "SOURCE_DATE_EPOCH changed"};

  // Beside the image, whatever path the report gives: the out folder may have been moved.
  const fs::path listing = fs::path(image).replace_extension(".mtree");
  if (!fs::exists(listing) || sha256_file(listing) != text_at(*doc, json::json_pointer("/contents/sha256")))
    return {false,
            fmt::format("its content listing {} is missing or is not the one its report names", listing.string())};
  if (sha256_file(image) != doc->value("image_sha256", ""))
    return {false, fmt::format("{} is not the image its report names (its sha256 differs)", image.string())};
  return {true, ""};
}

}  // namespace trustnet::baker
