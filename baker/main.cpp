// bake: turns recipes into golden Alpine aarch64 images, offline, through libguestfs.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "baker/bake_command.hpp"
#include "baker/fetch_command.hpp"
#include "baker/plan/plan.hpp"
#include "baker/recipe/recipes_location.hpp"
#include "baker/release_command.hpp"
#include "common/command_line.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"

namespace fs = std::filesystem;
using namespace trustnet;
using namespace trustnet::baker;

namespace {

std::string recipes_help() {
  return "folder of recipe files (default: ./recipes in a checkout, else " + install_paths::recipes().string() + ")";
}

// The recipe folder, found once; -v says which.
fs::path recipe_folder(const fs::path& option, bool verbose) {
  const FoundPlace found = locate_recipes(option);
  if (verbose) fmt::print(stderr, "bake: recipes {} (from {})\n", found.path.string(), found.source);
  return found.path;
}

struct CommonOptions {
  fs::path recipes_option;
  std::vector<fs::path> overrides, ssh_keys;
  fs::path base_image;
  bool verbose = false;

  void add_to(CLI::App& app) {
    app.add_option("--recipes", recipes_option, recipes_help());
    app.add_option("--override", overrides, "recipe layer merged last (repeatable), e.g. local inputs")
        ->check(CLI::ExistingFile);
    app.add_option("--ssh-key", ssh_keys, "SSH public key file for the operator user (repeatable)")
        ->check(CLI::ExistingFile);
    app.add_option("--base-image", base_image, "local copy of the pinned base image (its SHA-256 is still checked)")
        ->check(CLI::ExistingFile);
  }

  LoadOptions load_options() const {
    LoadOptions load{overrides, ssh_keys, std::nullopt};
    if (!base_image.empty()) load.base_image = base_image;
    return load;
  }

  std::vector<fs::path> recipe_files(const std::vector<std::string>& names) const {
    const fs::path recipes_dir = recipe_folder(recipes_option, verbose);
    std::vector<fs::path> files;
    for (const auto& name : names) {
      if (name == "all") {
        auto all = list_recipes(recipes_dir);
        files.insert(files.end(), all.begin(), all.end());
      } else {
        files.push_back(recipes_dir / (name + ".yaml"));
      }
    }
    return files;
  }
};

int run_plan(const CommonOptions& common, const std::vector<std::string>& names, bool json) {
  for (const auto& file : common.recipe_files(names)) {
    Plan plan = make_plan(load_recipe(file, common.load_options()));
    fmt::print("{}", json ? plan_to_json(plan) : format_plan(plan));
  }
  return 0;
}

struct FetchFlags {
  bool offline = false;
  int retries = 3;

  void add_to(CLI::App& app) {
    app.add_flag("--offline", offline, "never touch the network; fail naming every input missing from the cache");
    app.add_option("--retries", retries, "retries of a download after a transient failure, with back-off")
        ->check(CLI::Range(0, 20))
        ->capture_default_str();
  }
};

// Pinned by the command line: the verified file's path is the output, for scripts.
int run_fetch_url(const std::string& url, const std::string& sha256, const FetchCommandOptions& options, bool json) {
  interrupt::install();
  FetchedInput input = fetch_pinned_url(url, sha256, options);
  if (json)
    fmt::print("{}\n", nlohmann::json{{"input", input.download.name},
                                      {"url", url},
                                      {"sha256", input.download.sha256},
                                      {"file", input.file.string()},
                                      {"outcome", input.outcome}}
                           .dump(2));
  else
    fmt::print("{}\n", input.file.string());
  return 0;
}

int run_fetch(const CommonOptions& common, const std::vector<std::string>& names, FetchCommandOptions options,
              bool json) {
  options.load = common.load_options();
  interrupt::install();
  std::vector<FetchedInput> inputs = fetch_recipe_inputs(common.recipe_files(names), options);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& input : inputs)
      out.push_back({{"recipe", input.recipe},
                     {"input", input.download.name},
                     {"url", input.download.url},
                     {"sha256", input.download.sha256},
                     {"file", input.file.string()},
                     {"outcome", input.outcome}});
    fmt::print("{}\n", out.dump(2));
  } else if (options.verbosity != Verbosity::quiet) {
    fmt::print(stderr, "bake fetch: {} input{} in the cache {}\n", inputs.size(), inputs.size() == 1 ? "" : "s",
               cache_root(options.cache_dir).string());
  }
  return 0;
}

// Images already up to date are left alone (unless forced); with `check_only` nothing is baked
// and the exit status says whether everything is up to date (0) or not (1).
int run_bake(const CommonOptions& common, const std::vector<std::string>& names, BakeOptions options,
             const FetchFlags& fetch, bool json, bool check_only) {
  options.load = common.load_options();
  std::vector<fs::path> files = common.recipe_files(names);
  nlohmann::json outcomes = nlohmann::json::array();
  std::vector<fs::path> to_bake;
  int stale = 0;
  // Every recipe is loaded and checked here, before any bake starts: a typo must not cost a launch.
  for (const auto& file : files) {
    const ImageFreshness freshness = image_freshness(file, options);
    if (check_only) {
      stale += freshness.up_to_date ? 0 : 1;
      outcomes.push_back({{"name", freshness.name},
                          {"image", freshness.image.string()},
                          {"up_to_date", freshness.up_to_date},
                          {"reason", freshness.reason}});
      if (!json)
        fmt::print("{}\n", freshness.up_to_date
                               ? fmt::format("{} is up to date", freshness.image.string())
                               : fmt::format("{} is out of date: {}", freshness.image.string(), freshness.reason));
    } else if (freshness.up_to_date && !options.force) {
      outcomes.push_back({{"name", freshness.name},
                          {"image", freshness.image.string()},
                          {"report", freshness.report.string()},
                          {"up_to_date", true},
                          {"seconds", 0}});
      if (options.verbosity != Verbosity::quiet) fmt::print(stderr, "{} is up to date\n", freshness.image.string());
    } else {
      if (freshness.exists && options.verbosity != Verbosity::quiet)
        fmt::print(stderr, "bake {}: baking {} again: {}\n", freshness.name, freshness.image.string(),
                   freshness.up_to_date ? "--force" : freshness.reason);
      to_bake.push_back(file);
    }
  }
  if (check_only) {
    if (json) fmt::print("{}\n", outcomes.dump(2));
    return stale == 0 ? 0 : 1;
  }
  interrupt::install();
  // Missing inputs are fetched first, once each, before the bakes run in parallel.
  FetchCommandOptions fetch_options{options.cache_dir, options.load, {fetch.offline, fetch.retries}, options.verbosity};
  (void)fetch_recipe_inputs(to_bake, fetch_options);
  int status = 0;
  for (const BakeResult& result : bake_recipes(to_bake, options)) {
    if (result.outcome) {
      const BakeOutcome& outcome = *result.outcome;
      outcomes.push_back({{"name", outcome.name},
                          {"image", outcome.image.string()},
                          {"report", outcome.report.string()},
                          {"up_to_date", false},
                          {"seconds", outcome.seconds}});
      continue;
    }
    try {
      std::rethrow_exception(result.error);
    } catch (const Error& e) {
      status = std::max(status, report_error(e, "bake"));
    } catch (const std::exception& e) {
      fmt::print(stderr, "bake: {}\n", e.what());
      status = std::max(status, 1);
    }
  }
  if (json) fmt::print("{}\n", outcomes.dump(2));
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bake: build TrustNet golden images (Alpine Linux aarch64) from recipes, offline.\n"
      "  bake NAME... | all      bake recipes/NAME.yaml into out/NAME.qcow2\n"
      "  bake plan NAME          print the edits without touching an image\n"
      "  bake fetch NAME... | all  download the pinned inputs into the cache\n"
      "  bake fetch --url URL --sha256 HEX  one pinned file into the cache; prints its path\n"
      "  bake keygen FILE        a release signing key pair\n"
      "  bake publish NAME... | all --key FILE   signed, compressed release folders\n"
      "  bake verify DIR --pubkey FILE           check a release folder\n"
      "  bake contents IMAGE     the content listing (mtree) of an image\n"
      "  bake diff A B           what differs between two images, manifests or listings",
      "bake"};
  app.set_version_flag("--version", std::string("bake ") + TRUSTNET_VERSION);
  CommonOptions common;
  common.add_to(app);
  std::vector<std::string> names;
  BakeOptions options;
  std::string accel = "auto";
  bool quiet = false, verbose = false, json = false;
  app.add_option("names", names, "recipe names, or all");
  app.add_option("--out", options.out_dir, "output folder")->capture_default_str();
  app.add_option("--cache", options.cache_dir, "input cache (default $XDG_CACHE_HOME/trustnet or ~/.cache/trustnet)");
  app.add_option("--accel", accel,
                 "libguestfs appliance acceleration: auto (libguestfs decides, honours "
                 "LIBGUESTFS_BACKEND_SETTINGS) or tcg (force software emulation)")
      ->check(CLI::IsMember({"auto", "tcg"}))
      ->capture_default_str();
  app.add_flag("-q,--quiet", quiet, "print errors only");
  app.add_flag("-v,--verbose", verbose, "print every edit as it is made, and which recipe folder is used");
  app.add_flag("--json", json, "print the outcome as JSON on stdout");
  app.add_flag("--force", options.force, "bake even when the image is up to date");
  app.add_option("--appliances", options.appliances,
                 "libguestfs appliances that share the images, each baking its share one "
                 "after the other (default: one per core, as memory allows)")
      ->check(CLI::Range(1, 64));
  bool check_only = false;
  app.add_flag("--check", check_only,
               "bake nothing: say whether each image is up to date, and why not; exit 0 when all "
               "are, 1 when one is not");
  FetchFlags fetch_flags;
  fetch_flags.add_to(app);

  CLI::App* plan = app.add_subcommand("plan", "print the ordered edits of recipes without touching any image");
  CommonOptions plan_common;
  plan_common.add_to(*plan);
  std::vector<std::string> plan_names;
  bool plan_json = false;
  plan->add_option("names", plan_names, "recipe names, or all")->required();
  plan->add_flag("--json", plan_json, "machine-readable output");
  plan->add_flag("-v,--verbose", plan_common.verbose, "say which recipe folder is used");

  CLI::App* fetch = app.add_subcommand("fetch", "download every input the recipes pin by URL into the cache, verified");
  CommonOptions fetch_common;
  fetch_common.add_to(*fetch);
  std::vector<std::string> fetch_names;
  FetchCommandOptions fetch_options;
  FetchFlags fetch_only_flags;
  bool fetch_json = false, fetch_quiet = false;
  std::string fetch_url, fetch_sha256;
  CLI::Option* fetch_names_option = fetch->add_option("names", fetch_names, "recipe names, or all");
  CLI::Option* fetch_url_option = fetch->add_option(
      "--url", fetch_url, "fetch this one file instead of recipe inputs and print its path in the cache");
  fetch->add_option("--sha256", fetch_sha256, "the SHA-256 that --url's file must have")->needs(fetch_url_option);
  fetch_url_option->excludes(fetch_names_option);
  fetch->add_option("--cache", fetch_options.cache_dir,
                    "input cache (default $XDG_CACHE_HOME/trustnet or ~/.cache/trustnet)");
  fetch_only_flags.add_to(*fetch);
  fetch->add_flag("-q,--quiet", fetch_quiet, "print errors only");
  fetch->add_flag("--json", fetch_json, "list the inputs as JSON on stdout");
  fetch->add_flag("-v,--verbose", fetch_common.verbose, "say which recipe folder is used");

  CLI::App* keygen = app.add_subcommand("keygen", "make an Ed25519 release signing key: FILE (0600) and FILE.pub");
  fs::path keygen_file;
  keygen->add_option("file", keygen_file, "private key file to write (never overwritten)")->required();

  CLI::App* publish = app.add_subcommand("publish",
                                         "write signed release folders from baked images (compressed image, "
                                         "content listing, manifest, SHA256SUMS, signature)");
  std::vector<std::string> publish_names;
  PublishOptions publish_options;
  bool publish_json = false;
  fs::path publish_recipes;
  bool publish_verbose = false;
  publish->add_option("names", publish_names, "appliance names, or all (every recipe)")->required();
  publish->add_option("--key", publish_options.signing_key, "Ed25519 private key (bake keygen)")->required();
  publish->add_option("--out", publish_options.out_dir, "where bake wrote the images")->capture_default_str();
  publish->add_option("--release", publish_options.release_dir, "folder that gets one release folder per appliance")
      ->capture_default_str();
  publish->add_option("--recipes", publish_recipes, recipes_help() + ", for all");
  publish->add_flag("-v,--verbose", publish_verbose, "say which recipe folder all came from");
  publish->add_flag("--json", publish_json, "print the outcome as JSON");

  CLI::App* verify = app.add_subcommand("verify", "check a release folder: signature, SHA256SUMS, image digest");
  fs::path verify_dir, verify_key;
  bool verify_json = false;
  verify->add_option("release", verify_dir, "release folder (or its NAME.manifest.json)")->required();
  verify->add_option("--pubkey", verify_key, "trusted public key (FILE.pub from bake keygen)")->required();
  verify->add_flag("--json", verify_json, "print the outcome as JSON");

  CLI::App* contents = app.add_subcommand("contents",
                                          "print the content listing (mtree: type, mode, owner, size, SHA-256, "
                                          "link target of every file) of an image's root filesystem");
  fs::path contents_image;
  std::string contents_accel = "auto";
  contents->add_option("image", contents_image, "qcow2 image (golden or compressed release image)")->required();
  contents->add_option("--accel", contents_accel, "libguestfs appliance acceleration: auto or tcg")
      ->check(CLI::IsMember({"auto", "tcg"}));

  CLI::App* diff = app.add_subcommand("diff",
                                      "list the files added, removed and changed between two images, release manifests "
                                      "or mtree listings");
  fs::path diff_a, diff_b;
  std::string diff_accel = "auto";
  bool diff_json = false;
  diff->add_option("before", diff_a, "image, NAME.manifest.json or NAME.mtree")->required();
  diff->add_option("after", diff_b, "image, NAME.manifest.json or NAME.mtree")->required();
  diff->add_option("--accel", diff_accel, "libguestfs appliance acceleration: auto or tcg")
      ->check(CLI::IsMember({"auto", "tcg"}));
  diff->add_flag("--json", diff_json, "print the differences as JSON");

  auto appliance_accel = [](const std::string& text) {
    return text == "tcg" ? ApplianceAccel::tcg : ApplianceAccel::automatic;
  };

  return run_command_line(app, argc, argv, "bake", [&] {
    if (*keygen) return run_keygen(keygen_file);
    if (*publish) {
      publish_options.source_date_epoch = source_date_epoch_from_environment();
      std::vector<std::string> names;
      for (const auto& name : publish_names) {
        if (name != "all")
          names.push_back(name);
        else
          for (const auto& file : list_recipes(recipe_folder(publish_recipes, publish_verbose)))
            names.push_back(file.stem().string());
      }
      return run_publish(names, publish_options, publish_json);
    }
    if (*verify) return run_verify(verify_dir, verify_key, verify_json);
    if (*contents) return run_contents(contents_image, appliance_accel(contents_accel));
    if (*diff) return run_diff(diff_a, diff_b, appliance_accel(diff_accel), diff_json);
    if (*plan) return run_plan(plan_common, plan_names, plan_json);
    if (*fetch) {
      fetch_options.fetch = {fetch_only_flags.offline, fetch_only_flags.retries};
      fetch_options.verbosity = fetch_quiet ? Verbosity::quiet : Verbosity::normal;
      fetch_options.verify_local = true;
      if (!fetch_url.empty()) {
        if (fetch_sha256.empty()) {
          fmt::print(stderr, "bake fetch: --url needs --sha256: a download is pinned by its digest\n");
          return 2;
        }
        return run_fetch_url(fetch_url, fetch_sha256, fetch_options, fetch_json);
      }
      if (fetch_names.empty()) {
        fmt::print(stderr, "bake fetch: name a recipe (or all), or give --url and --sha256; see bake fetch --help\n");
        return 2;
      }
      return run_fetch(fetch_common, fetch_names, fetch_options, fetch_json);
    }
    if (names.empty()) {
      fmt::print(stderr, "bake: name a recipe to bake (or all); see bake --help\n");
      return 2;
    }
    options.accel = accel == "tcg" ? ApplianceAccel::tcg : ApplianceAccel::automatic;
    options.source_date_epoch = source_date_epoch_from_environment();
    options.verbosity = quiet ? Verbosity::quiet : verbose ? Verbosity::verbose : Verbosity::normal;
    common.verbose = verbose;
    return run_bake(common, names, options, fetch_flags, json, check_only);
  });
}
