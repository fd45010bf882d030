#include "baker/push_command.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "baker/output/push.hpp"
#include "common/config/rules.hpp"
#include "common/release/release_verification.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// "all": every release folder (one holding a NAME.manifest.json) in the release folder, by name.
std::vector<std::string> release_names(const std::vector<std::string>& asked, const fs::path& release_dir) {
  std::vector<std::string> names;
  for (const std::string& name : asked) {
    if (name != "all") {
      if (auto problem = check_instance_name(name); problem || name.find('/') != std::string::npos)
        throw Error(fmt::format("'{}' is not an appliance name", printable(name)), ExitCode::bad_input);
      names.push_back(name);
      continue;
    }
    if (!fs::is_directory(release_dir))
      throw Error(fmt::format("release folder {} does not exist: bake publish first", release_dir.string()),
                  ExitCode::bad_input);
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(release_dir))
      if (entry.is_directory() && fs::exists(entry.path() / (entry.path().filename().string() + ".manifest.json")))
        found.push_back(entry.path().filename().string());
    if (found.empty())
      throw Error(fmt::format("{} holds no release folders: bake publish first", release_dir.string()),
                  ExitCode::bad_input);
    std::sort(found.begin(), found.end());
    names.insert(names.end(), found.begin(), found.end());
  }
  return names;
}

int run_push(const std::vector<std::string>& asked, const PushOptions& options, Verbosity verbosity, bool as_json) {
  interrupt::install();
  TransferDisplay display(verbosity, TransferDisplay::stderr_is_terminal());
  json out = json::array();
  // One at a time: they share the uplink, and a registry deduplicates what they have in common.
  for (const std::string& name : release_names(asked, options.release_dir)) {
    const PushOutcome o = push_release(name, options, display);
    if (as_json) {
      json entry = {{"name", o.name}, {"destination", o.destination}, {"sent", o.sent},
                    {"kept", o.kept}, {"bytes_sent", o.bytes_sent},   {"seconds", o.seconds}};
      if (!o.digest.empty()) entry["digest"] = o.digest;
      out.push_back(entry);
    } else {
      fmt::print("{}: {}{} ({} file{} sent, {}; {} already there; {:.1f} s)\n", o.name, o.destination,
                 o.digest.empty() ? "" : "@" + o.digest, o.sent, o.sent == 1 ? "" : "s", format_bytes(o.bytes_sent),
                 o.kept, o.seconds);
    }
  }
  if (as_json) fmt::print("{}\n", out.dump(2));
  return 0;
}

}  // namespace

CommandRun declare_push(CLI::App& command) {
  struct State {
    std::vector<std::string> names;
    std::string to;
    PushOptions options;
    std::optional<fs::path> credentials, ca;
    bool json = false, quiet = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("names", state->names, "appliance names, or all (every release folder)")->required();
  command
      .add_option("--to", state->to,
                  "oci://HOST[:PORT]/PREFIX:TAG (pushes PREFIX/NAME:TAG), file:///DIR or https://HOST/PATH/ "
                  "(gets NAME/)")
      ->required();
  command
      .add_option("--pubkey", state->options.public_key,
                  "trusted public key (FILE.pub from bake keygen): the signature is checked before anything is sent")
      ->required();
  command.add_option("--release", state->options.release_dir, "folder that holds the release folders (bake publish)")
      ->capture_default_str();
  command.add_option("--credentials", state->credentials,
                     "file holding USER:PASSWORD, mode 0600 (else TRUSTNET_REGISTRY_USERNAME and "
                     "TRUSTNET_REGISTRY_PASSWORD)");
  command.add_option("--ca", state->ca, "CA certificate that signs the server's TLS certificate (else the system's)");
  command.add_flag("-q,--quiet", state->quiet, "no progress on stderr");
  command.add_flag("--json", state->json, "print the outcome as JSON");
  return [state] {
    PushOptions options = state->options;
    const Parsed<ReleaseLocation> to = parse_release_location(state->to);
    if (to.problem) throw Error("--to: " + *to.problem, ExitCode::bad_input);
    options.destination = to.value;
    options.access.tls.ca_file = state->ca;
    options.access.credentials = load_registry_credentials(state->credentials);
    if (const auto* web = std::get_if<WebLocation>(&options.destination);
        web && web->url.starts_with("http://") && options.access.credentials)
      throw Error(fmt::format("--to {}: plain HTTP would carry the credentials in clear; use https://", web->url),
                  ExitCode::bad_input);
    options.access.credentials_hint =
        "give --credentials FILE, or set TRUSTNET_REGISTRY_USERNAME and TRUSTNET_REGISTRY_PASSWORD";
    return run_push(state->names, options, state->quiet ? Verbosity::quiet : Verbosity::normal, state->json);
  };
}

}  // namespace trustnet::baker
