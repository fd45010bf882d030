#include "baker/release_command.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "baker/command_options.hpp"
#include "baker/output/content_listing.hpp"
#include "baker/output/release.hpp"
#include "baker/run/image_listing.hpp"
#include "common/release/release_verification.hpp"
#include "common/release/signing_key.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/parallel_tasks.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

int run_keygen(const fs::path& private_file) {
  const fs::path public_file = private_file.string() + ".pub";
  generate_signing_key(private_file, public_file);
  fmt::print(
      "signing key {} (minisign, 0600, keep it secret)\npublic key  {} ({}): give it to the hosts that verify "
      "releases (bake verify, minisign -V)\n",
      private_file.string(), public_file.string(), public_key_fingerprint(public_file));
  return 0;
}

int run_publish(const std::vector<std::string>& names, const PublishOptions& options, bool as_json) {
  if (!fs::is_regular_file(options.signing_key))
    throw Error(
        fmt::format("signing key {} does not exist (make one with `bake keygen`)", options.signing_key.string()),
        ExitCode::bad_input);
  const SigningKey key = SigningKey::load(options.signing_key);  // a password is asked once
  // The releases that were written are reported even when another one failed.
  const auto runs = parallel_outcomes(
      names, [&options, &key](const std::string& name) { return publish_release(name, options, key); });
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

int run_contents(const fs::path& image, ApplianceAccel accel, BakeEngine engine) {
  interrupt::install();  // a signal unwinds the read: its tar and raw copy are removed
  fmt::print("{}", listing_of(image, accel, engine));
  return 0;
}

int run_diff(const fs::path& before, const fs::path& after, ApplianceAccel accel, BakeEngine engine, bool as_json) {
  interrupt::install();
  // Two images (through libguestfs, two appliance launches): side by side.
  const std::vector<std::string> texts =
      parallel_map(std::vector<fs::path>{before, after},
                   [accel, engine](const fs::path& image) { return listing_of(image, accel, engine); });
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

}  // namespace

CommandRun declare_keygen(CLI::App& command) {
  auto file = std::make_shared<fs::path>();
  command.add_option("file", *file, "private key file to write (never overwritten)")->required();
  return [file] { return run_keygen(*file); };
}

CommandRun declare_publish(CLI::App& command) {
  struct State {
    std::vector<std::string> names;
    PublishOptions options;
    fs::path recipes;
    bool json = false, verbose = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("names", state->names, "appliance names, or all (every recipe)")->required();
  command
      .add_option("--key", state->options.signing_key,
                  "minisign secret key (bake keygen or minisign -G; an older PEM key too)")
      ->required();
  command.add_option("--out", state->options.out_dir, "where bake wrote the images")->capture_default_str();
  command.add_option("--release", state->options.release_dir, "folder that gets one release folder per appliance")
      ->capture_default_str();
  command.add_option("--recipes", state->recipes, recipes_help() + ", for all");
  command.add_flag("-v,--verbose", state->verbose, "say which recipe folder all came from");
  command.add_flag("--json", state->json, "print the outcome as JSON");
  return [state] {
    PublishOptions options = state->options;
    options.source_date_epoch = source_date_epoch_from_environment();
    std::vector<std::string> names;
    for (const auto& name : state->names) {
      if (name != "all")
        names.push_back(name);
      else
        for (const auto& file : list_recipes(recipe_folder(state->recipes, state->verbose)))
          names.push_back(file.stem().string());
    }
    return run_publish(names, options, state->json);
  };
}

CommandRun declare_verify(CLI::App& command) {
  struct State {
    fs::path release, key;
    bool json = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("release", state->release, "release folder (or its NAME.manifest.json)")->required();
  command.add_option("--pubkey", state->key, "trusted public key (FILE.pub from bake keygen)")->required();
  command.add_flag("--json", state->json, "print the outcome as JSON");
  return [state] { return run_verify(state->release, state->key, state->json); };
}

CommandRun declare_contents(CLI::App& command) {
  struct State {
    fs::path image;
    std::string accel = "auto", engine = "auto";
  };
  auto state = std::make_shared<State>();
  command.add_option("image", state->image, "qcow2 image (golden or compressed release image)")->required();
  add_accel_option(command, state->accel, "libguestfs appliance acceleration: auto or tcg");
  add_engine_option(
      command, state->engine,
      "how the image is read: auto (libext2fs when the root allows it, else libguestfs), ext4 or guestfs");
  return
      [state] { return run_contents(state->image, appliance_accel(state->accel), parse_bake_engine(state->engine)); };
}

CommandRun declare_diff(CLI::App& command) {
  struct State {
    fs::path before, after;
    std::string accel = "auto", engine = "auto";
    bool json = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("before", state->before, "image, NAME.manifest.json or NAME.mtree")->required();
  command.add_option("after", state->after, "image, NAME.manifest.json or NAME.mtree")->required();
  add_accel_option(command, state->accel, "libguestfs appliance acceleration: auto or tcg");
  add_engine_option(command, state->engine,
                    "how images are read: auto (libext2fs when the root allows it, else libguestfs), ext4 or guestfs");
  command.add_flag("--json", state->json, "print the differences as JSON");
  return [state] {
    return run_diff(state->before, state->after, appliance_accel(state->accel), parse_bake_engine(state->engine),
                    state->json);
  };
}

}  // namespace trustnet::baker
