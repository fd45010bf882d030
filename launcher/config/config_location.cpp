#include "launcher/config/config_location.hpp"

#include <fmt/format.h>

#include "common/util/error.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

namespace {
constexpr const char* kCheckoutConfig = "launcher/trustnet.yaml";
}  // namespace

FoundPlace locate_launch_config(const fs::path& option, const char* environment, bool as_root,
                                const fs::path& installed) {
  std::vector<SearchPlace> places;
  std::string hint = "pass --config FILE or set TRUSTNET_CONFIG";
  if (!option.empty()) {
    places.push_back({option, "--config", true});
  } else if (environment && *environment) {
    places.push_back({environment, "$TRUSTNET_CONFIG", true});
  } else if (as_root) {
    // Root never takes its orders from the folder it happens to run in: anyone who can write
    // there could plant launcher/trustnet.yaml.
    places = {{installed, "the host configuration"}};
    if (fs::exists(fs::symlink_status(kCheckoutConfig)))
      hint += fmt::format(" (run as root, launch does not read {} from the current folder)", kCheckoutConfig);
  } else {
    places = {{kCheckoutConfig, "a checkout"}, {installed, "the host configuration"}};
  }
  return first_existing("launcher configuration", PlaceKind::file, places, hint);
}

fs::path default_state_dir(unsigned euid, const char* xdg_state_home, const char* home, const fs::path& system_state) {
  if (euid == 0) return system_state;
  // The XDG base directory rules ignore a relative value.
  if (xdg_state_home && *xdg_state_home == '/') return fs::path(xdg_state_home) / "trustnet";
  if (!home || *home != '/')
    throw Error(
        "no state folder: the configuration names none and neither XDG_STATE_HOME nor HOME is set to an absolute path; "
        "add state: to the configuration",
        ExitCode::bad_input);
  return fs::path(home) / ".local" / "state" / "trustnet";
}

}  // namespace trustnet::launcher
