#include "baker/release_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "baker/execute/executor.hpp"
#include "baker/publish/content_listing.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/parallel_tasks.hpp"
#include "common/release_verification.hpp"
#include "common/signing_key.hpp"
#include "common/text_file.hpp"
#include "common/validators.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;
using nlohmann::json;

int run_keygen(const fs::path& private_file) {
  const fs::path public_file = private_file.string() + ".pub";
  generate_signing_key(private_file, public_file);
  fmt::print("signing key {} (0600, keep it secret)\npublic key  {} ({}): give it to the hosts that verify releases\n",
             private_file.string(), public_file.string(), public_key_fingerprint(public_file));
  return 0;
}

int run_publish(const std::vector<std::string>& names, const PublishOptions& options, bool as_json) {
  // The releases that were written are reported even when another one failed.
  const auto runs =
      parallel_outcomes(names, [&options](const std::string& name) { return publish_release(name, options); });
  json out = json::array();
  for (const auto& run : runs) {
    if (!run.result) continue;
    const PublishOutcome& o = *run.result;
    if (as_json) {
      out.push_back({{"name", o.name},
                     {"folder", o.folder.string()},
                     {"image", o.image.string()},
                     {"compression", o.compression},
                     {"golden_size", o.golden_size},
                     {"image_size", o.image_size},
                     {"seconds", o.seconds}});
    } else {
      fmt::print("{}: {} ({}, {} -> {}, {:.1f} s)\n", o.name, o.folder.string(), o.compression,
                 format_size(o.golden_size), format_size(o.image_size), o.seconds);
    }
  }
  throw_failures(runs);
  if (as_json) fmt::print("{}\n", out.dump(2));
  return 0;
}

int run_verify(const fs::path& release, const fs::path& public_key, bool as_json) {
  const VerifiedRelease v = verify_release(release, public_key);
  if (as_json) {
    fmt::print("{}\n", json::object({{"appliance", v.appliance},
                                     {"manifest", v.manifest.string()},
                                     {"image", v.image.string()},
                                     {"image_sha256", v.image_sha256},
                                     {"signing_key", v.signing_key},
                                     {"verified", true}})
                           .dump(2));
  } else {
    fmt::print("{}: verified: signature by {}, SHA256SUMS, {} sha256 {}\n", v.appliance, v.signing_key,
               v.image.filename().string(), v.image_sha256);
  }
  return 0;
}

std::string listing_of(const fs::path& operand, ApplianceAccel accel) {
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
  pack_image_root(operand, accel, tar.path());
  return mtree_from_tar(tar.path());
}

int run_contents(const fs::path& image, ApplianceAccel accel) {
  fmt::print("{}", listing_of(image, accel));
  return 0;
}

int run_diff(const fs::path& before, const fs::path& after, ApplianceAccel accel, bool as_json) {
  // Two images cost two appliance launches: side by side.
  const std::vector<std::string> texts = parallel_map(
      std::vector<fs::path>{before, after}, [accel](const fs::path& image) { return listing_of(image, accel); });
  const std::string &text_a = texts[0], &text_b = texts[1];
  const ListingDiff diff = diff_listings(parse_mtree(text_a, before.string()), parse_mtree(text_b, after.string()));
  if (as_json) {
    json changed = json::array();
    for (const auto& [path, fields] : diff.changed) changed.push_back({{"path", path}, {"fields", fields}});
    fmt::print("{}\n", json::object({{"added", diff.added}, {"removed", diff.removed}, {"changed", changed}}).dump(2));
  } else if (diff.empty()) {
    fmt::print("no differences\n");
  } else {
    fmt::print("{}{} added, {} removed, {} changed\n", render_diff(diff), diff.added.size(), diff.removed.size(),
               diff.changed.size());
  }
  return 0;
}

}  // namespace trustnet::baker
