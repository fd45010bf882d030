#include "baker/output/release.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "baker/output/bake_outputs.hpp"
#include "baker/output/content_listing.hpp"
#include "common/release/release_verification.hpp"
#include "common/release/signing_key.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/temporary_folder.hpp"
#include "common/util/text_file.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;
using nlohmann::json;

std::optional<int64_t> source_date_epoch_from_environment() {
  const char* text = std::getenv("SOURCE_DATE_EPOCH");
  if (!text || !*text) return std::nullopt;
  const auto seconds = parse_bounded_uint(text, 0, 999'999'999'999);
  if (!seconds)
    throw Error(fmt::format("SOURCE_DATE_EPOCH '{}' must be seconds since 1970 (digits only)", printable(text)),
                ExitCode::bad_input);
  return static_cast<int64_t>(*seconds);
}

std::string choose_compression() {
  // Asked once per process: parallel publishes share the answer (and never share a probe file).
  static const std::string choice = [] {
    TemporaryPath probe(fs::temp_directory_path() / fmt::format("trustnet-zstd-probe-{}.qcow2", ::getpid()));
    const ProcessResult result = run_process(
        {"qemu-img", "create", "-q", "-f", "qcow2", "-o", "compression_type=zstd", probe.path().string(), "1M"});
    return std::string(result.exit_status == 0 ? "zstd" : "zlib");
  }();
  return choice;
}

json release_manifest(const json& report, const ReleaseFacts& facts) {
  json base = {{"sha256", report.at("base").at("sha256")}};
  if (report.at("base").contains("url")) base["url"] = report["base"]["url"];
  return {
      {"format", "trustnet-release/1"},
      {"appliance", report.at("name")},
      {"recipe", {{"sha256", report.at("recipe").at("sha256")}}},
      {"base", base},
      {"inputs", report.value("inputs", json::array())},
      {"golden_image", {{"sha256", report.at("image_sha256")}, {"virtual_size", facts.virtual_size}}},
      {"image",
       {{"file", facts.image_file},
        {"sha256", facts.image_sha256},
        {"size", facts.image_size},
        {"virtual_size", facts.virtual_size},
        {"format", "qcow2"},
        {"compression", facts.compression}}},
      {"contents",
       {{"file", facts.listing_file},
        {"sha256", facts.listing_sha256},
        {"format", "mtree"},
        {"entries", facts.listing_entries}}},
      {"tool", report.at("tool")},
      {"build_time", facts.build_time},
      {"signing_key", facts.signing_key},
  };
}

namespace {

json read_report(const fs::path& file, const std::string& name) {
  if (!fs::exists(file))
    throw Error(fmt::format("{} is missing: bake {} first", file.string(), name), ExitCode::bad_input);
  try {
    return json::parse(read_text_file(file));
  } catch (const json::exception& e) {
    throw Error(fmt::format("{} is not a bake report: {}", file.string(), e.what()));
  }
}

}  // namespace

PublishOutcome publish_release(const std::string& name, const PublishOptions& options, const SigningKey& key) {
  const auto started = std::chrono::steady_clock::now();
  const BakeOutputs baked = BakeOutputs::in(options.out_dir, name);
  const fs::path &golden = baked.image, &listing = baked.listing;
  const json report = read_report(baked.report, name);
  // What is published must be what was baked and reported.
  for (const auto& [file, recorded] :
       {std::pair{golden, report.value("image_sha256", "")},
        std::pair{listing, report.value("contents", json::object()).value("sha256", "")}}) {
    if (!fs::is_regular_file(file))
      throw Error(fmt::format("{} is missing: bake {} again", file.string(), name), ExitCode::bad_input);
    if (recorded.empty() || sha256_file(file) != recorded)
      throw Error(fmt::format("{} differs from what its bake reported; bake {} again", file.string(), name));
  }

  fs::create_directories(options.release_dir);
  const fs::path final_folder = options.release_dir / name;
  TemporaryFolder folder(final_folder);
  ReleaseFacts facts;
  facts.compression = choose_compression();
  facts.image_file = name + ".qcow2";
  const fs::path image = folder.path() / facts.image_file;
  run_checked({"qemu-img", "convert", "-c", "-f", "qcow2", "-O", "qcow2", "-o", "compression_type=" + facts.compression,
               golden.string(), image.string()});
  facts.image_sha256 = sha256_file(image);
  facts.image_size = fs::file_size(image);
  facts.virtual_size = report.at("disk").at("virtual_size").get<uint64_t>();
  facts.listing_file = name + ".mtree";
  const std::string listing_text = read_text_file(listing);
  write_file_atomically(folder.path() / facts.listing_file, listing_text);
  facts.listing_sha256 = sha256_hex(listing_text);
  facts.listing_entries = listing_entries(listing_text);
  const auto epoch = options.source_date_epoch
                         ? std::chrono::sys_seconds(std::chrono::seconds(*options.source_date_epoch))
                         : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  facts.build_time = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", epoch);

  facts.signing_key = key.fingerprint();
  const std::string manifest_name = name + ".manifest.json";
  const std::string manifest = release_manifest(report, facts).dump(2) + "\n";
  write_file_atomically(folder.path() / manifest_name, manifest);
  // minisign's own trusted comment, with the build time: the signature is the same on a rebuild.
  const std::string comment =
      fmt::format("timestamp:{}\tfile:{}\thashed", epoch.time_since_epoch().count(), manifest_name);
  write_file_atomically(folder.path() / signature_names(manifest_name).front(), key.sign(manifest, comment));
  write_file_atomically(folder.path() / "SHA256SUMS",
                        fmt::format("{}  {}\n{}  {}\n{}  {}\n", facts.image_sha256, facts.image_file,
                                    facts.listing_sha256, facts.listing_file, sha256_hex(manifest), manifest_name));
  folder.commit();
  return {name,
          facts.compression,
          final_folder,
          final_folder / facts.image_file,
          fs::file_size(golden),
          facts.image_size,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()};
}

}  // namespace trustnet::baker
