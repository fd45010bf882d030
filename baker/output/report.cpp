#include "baker/output/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace trustnet::baker {

std::string render_report(const ReportInput& input) {
  using nlohmann::json;
  json sources = json::array();
  for (const auto& source : input.recipe.sources)
    sources.push_back({{"file", source.file.string()}, {"sha256", source.sha256}});
  json base{{"sha256", input.plan.base.sha256}, {"file", input.base_file}, {"format", input.plan.base.format}};
  if (input.plan.base.url) base["url"] = *input.plan.base.url;
  // The bake's journal: what it made (with where it came from), what it removed, what it emptied.
  json files = json::array(), removed = json::array(), emptied = json::array();
  for (const auto& f : input.result.edits) {
    if (f.origin.empty()) continue;
    if (f.gone()) {
      (f.kind == TreeEdit::Kind::emptied ? emptied : removed).push_back(f.path);
      continue;
    }
    json entry{{"path", f.path},   {"type", f.type_name()}, {"mode", fmt::format("{:04o}", f.mode)},
               {"uid", f.uid},     {"gid", f.gid},          {"owner", f.user},
               {"group", f.group}, {"origin", f.origin}};
    if (f.kind == TreeEdit::Kind::file) entry["sha256"] = f.sha256;
    if (!f.target.empty()) entry["target"] = f.target;
    files.push_back(entry);
  }
  json phases = json::array();
  double total = 0;
  for (const auto& p : input.phases) {
    phases.push_back({{"phase", p.phase}, {"seconds", std::round(p.seconds * 1000) / 1000}});
    total += p.seconds;
  }
  const Inspection& os = input.result.inspection;
  // Every release binary by origin and digest, for the release manifest.
  json inputs = json::array();
  for (const auto& step : input.plan.steps)
    if (const auto* install = std::get_if<InstallFile>(&step)) {
      json item{{"name", install->input}, {"destination", install->path}, {"sha256", install->sha256}};
      if (install->url) item["url"] = *install->url;
      if (install->member) item["member"] = *install->member;
      inputs.push_back(item);
    }
  json doc{
      {"name", input.recipe.name},
      {"image", input.image_file},
      {"image_sha256", input.image_sha256},
      {"contents", {{"file", input.listing_file}, {"sha256", input.listing_sha256}}},
      {"inputs", inputs},
      {"tool", {{"name", "bake"}, {"version", TRUSTNET_VERSION}}},
      {"recipe", {{"sha256", input.plan.recipe_digest}, {"files", sources}}},
      {"fingerprint", fingerprint_json(input.fingerprint)},
      {"base", base},
      {"inspection",
       {{"product", os.product},
        {"distro", os.distro},
        {"arch", os.arch},
        {"root", os.root_device},
        {"version", fmt::format("{}.{}", os.major, os.minor)}}},
      {"engine", input.result.engine},
      {"disk", {{"virtual_size", input.result.disk_size}, {"root_filesystem_size", input.result.root_fs_size}}},
      {"removed", removed},
      {"emptied", emptied},
      {"notes", input.result.notes},
      {"files", files},
      {"phases", phases},
      {"total_seconds", std::round(total * 1000) / 1000},
  };
  return doc.dump(2) + "\n";
}

}  // namespace trustnet::baker
