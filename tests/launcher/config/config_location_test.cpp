#include "launcher/config/config_location.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "support/run_user.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
namespace fs = std::filesystem;

namespace {
// launch run from `dir` with TRUSTNET_CONFIG set to `environment` ("" to unset it).
ProcessResult launch_in(const fs::path& dir, const std::string& environment, std::vector<std::string> args) {
  std::vector<std::string> argv{"env", "-C", dir.string()};
  if (environment.empty())
    argv.insert(argv.end(), {"-u", "TRUSTNET_CONFIG"});
  else
    argv.push_back("TRUSTNET_CONFIG=" + environment);
  argv.push_back(TRUSTNET_LAUNCH_BINARY);
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}
}  // namespace

TEST_CASE("the launcher configuration is --config, else TRUSTNET_CONFIG, else a checkout's, else the host's") {
  test::TempDir dir;
  const fs::path option = dir.write("option.yaml", "x"), environment = dir.write("env.yaml", "x"),
                 host = dir.write("host.yaml", "x");
  // The tests run in the checkout: launcher/trustnet.yaml is there.
  CHECK(locate_launch_config(option, environment.c_str(), host).path == option);
  CHECK(locate_launch_config(option, environment.c_str(), host).source == "--config");
  CHECK(locate_launch_config("", environment.c_str(), host).path == environment);
  CHECK(locate_launch_config("", environment.c_str(), host).source == "$TRUSTNET_CONFIG");
  CHECK(locate_launch_config("", "", host).path == "launcher/trustnet.yaml");
  CHECK(locate_launch_config("", nullptr, host).source == "a checkout");
}

TEST_CASE(
    "outside a checkout launch runs with the host configuration and -v says which file and state folder it used") {
  test::TempDir dir;
  const fs::path elsewhere = dir / "elsewhere";
  fs::create_directories(elsewhere);
  // No checkout below `elsewhere`: TRUSTNET_CONFIG stands in for the installed file's place.
  std::string text = read_text_file(test::source_dir() / "launcher/trustnet.yaml");
  text.replace(text.find("state: ~/vms"), 12, "state: " + (dir / "vms").string());
  const fs::path config = dir.write("host.yaml", text);
  const std::string said = "launch: configuration " + config.string() + " (from $TRUSTNET_CONFIG), state folder ";
  // Before `launch init` there is no state folder, and status says so instead of listing
  // instances as stopped.
  ProcessResult before = launch_in(elsewhere, config.string(), {"status", "-v"});
  CHECK(before.exit_status == 2);
  CHECK(before.err == said + (dir / "vms").string() + "\nlaunch: there is no state folder " + (dir / "vms").string() +
                          ": `launch init` has not run with this configuration; run `sudo launch init` first\n");
  fs::create_directories(dir / "vms");  // made empty by root (install -d): launch takes it over
  ProcessResult status = launch_in(elsewhere, config.string(), {"status", "-v"});
  CHECK(status.exit_status == 0);
  CHECK(status.err == said + (dir / "vms").string() +
                          fmt::format("\nlaunch: running as trustnet (uid {})\n", test::run_user().pw_uid));
  CHECK(fs::status(dir / "vms").permissions() == fs::perms::owner_all);
  // --state chooses another folder.
  ProcessResult chosen = launch_in(elsewhere, config.string(), {"status", "-v", "--state", (dir / "other").string()});
  CHECK(chosen.exit_status == 2);
  CHECK(chosen.err.starts_with(said + (dir / "other").string() + " (from --state)\nlaunch: there is no state folder " +
                               (dir / "other").string()));
  ProcessResult none = launch_in(elsewhere, "", {"status"});
  CHECK(none.exit_status == 2);
  CHECK(none.err == "launch: no launcher configuration: looked at launcher/trustnet.yaml (a checkout), " +
                        install_paths::launch_config().string() +
                        " (the host configuration); pass --config FILE or set TRUSTNET_CONFIG\n");
  ProcessResult typo = launch_in(elsewhere, (dir / "typo.yaml").string(), {"status"});
  CHECK(typo.exit_status == 2);
  CHECK(typo.err ==
        "launch: launcher configuration " + (dir / "typo.yaml").string() + " (from $TRUSTNET_CONFIG) does not exist\n");
}

TEST_CASE("another user is told whose the state folder is, and a configuration it cannot reach is one line") {
  test::TempDir dir;
  fs::permissions(dir.path(), fs::perms(0755));
  std::string text = read_text_file(test::source_dir() / "launcher/trustnet.yaml");
  text.replace(text.find("state: ~/vms"), 12, "state: " + (dir / "vms").string());
  const fs::path config = dir.write("host.yaml", text);
  fs::permissions(config, fs::perms(0644));
  fs::create_directories(dir / "vms");
  REQUIRE(launch_in(dir.path(), config.string(), {"status"}).exit_status == 0);  // root hands it to trustnet
  auto as_nobody = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                               TRUSTNET_LAUNCH_BINARY, "--config", config.string()});
    return run_process(args);
  };
  const ProcessResult status = as_nobody({"status"});
  CHECK(status.exit_status == 2);
  CHECK(status.err == "launch: the state folder " + (dir / "vms").string() +
                          " belongs to trustnet, not to you (nobody): run `sudo launch …`, which acts as trustnet, or "
                          "choose a state folder of yours with --state\n");
  CHECK(status.out.empty());
  // The standard library's own refusal, as one line with the file, the reason and the fix.
  fs::permissions(dir.path(), fs::perms(0700));
  const ProcessResult unreachable = as_nobody({"status"});
  CHECK(unreachable.exit_status == 1);
  CHECK(unreachable.err == "launch: " + config.string() +
                               ": Permission denied (status); this runs as nobody (uid 65534): give that user access "
                               "to " +
                               config.string() + " (or the folders above it), or run as the user that owns it\n");
}

TEST_CASE(
    "without state: in the configuration root's state folder is the system's and anyone else's is under "
    "XDG_STATE_HOME") {
  CHECK(default_state_dir(0, "/home/op/.state", "/home/op", "/var/lib/trustnet") == "/var/lib/trustnet");
  CHECK(default_state_dir(1000, "/home/op/.state", "/home/op", "/var/lib/trustnet") == "/home/op/.state/trustnet");
  CHECK(default_state_dir(1000, nullptr, "/home/op", "/var/lib/trustnet") == "/home/op/.local/state/trustnet");
  // A relative XDG_STATE_HOME is ignored, as the XDG rules say.
  CHECK(default_state_dir(1000, "state", "/home/op", "/var/lib/trustnet") == "/home/op/.local/state/trustnet");
  CHECK_THROWS_WITH_AS(default_state_dir(1000, nullptr, nullptr, "/var/lib/trustnet"),
                       doctest::Contains("no state folder: the configuration names none"), Error);
}
