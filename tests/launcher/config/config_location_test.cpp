#include "launcher/config/config_location.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

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
  CHECK(locate_launch_config(option, environment.c_str(), false, host).path == option);
  CHECK(locate_launch_config(option, environment.c_str(), false, host).source == "--config");
  CHECK(locate_launch_config("", environment.c_str(), false, host).path == environment);
  CHECK(locate_launch_config("", environment.c_str(), false, host).source == "$TRUSTNET_CONFIG");
  CHECK(locate_launch_config("", "", false, host).path == "launcher/trustnet.yaml");
  CHECK(locate_launch_config("", nullptr, false, host).source == "a checkout");
  // Root never reads one from the folder it runs in: the host's, or an error that says why not.
  CHECK(locate_launch_config("", nullptr, true, host).path == host);
  CHECK(locate_launch_config(option, nullptr, true, host).path == option);
  CHECK_THROWS_WITH_AS(locate_launch_config("", nullptr, true, dir / "no-host.yaml"),
                       doctest::Contains("(run as root, launch does not read launcher/trustnet.yaml from the current "
                                         "folder)"),
                       Error);
}

TEST_CASE("root never acts on a configuration from the current folder, nor on one or a trusted_key others can write") {
  test::TempDir dir;
  fs::permissions(dir.path(), fs::perms(0755));
  // A folder anyone can write, holding a configuration that would hand root's folder to trustnet.
  const fs::path shared = dir / "shared";
  fs::create_directories(shared / "launcher");
  fs::permissions(shared, fs::perms(0777));
  std::string text = read_text_file(test::source_dir() / "launcher/trustnet.yaml");
  text.replace(text.find("state: ~/vms"), 12, "state: " + (dir / "taken").string());
  const fs::path planted = shared / "launcher/trustnet.yaml";
  std::ofstream(planted) << text;
  fs::create_directories(dir / "taken");  // empty and root's: what launch would take over
  const ProcessResult r = launch_in(shared, "", {"status"});
  CHECK(r.exit_status != 0);
  CHECK(r.err.find(planted.filename().string() + " (a checkout)") == std::string::npos);
  CHECK(r.out.find("node") == std::string::npos);
  struct stat st {};
  REQUIRE(::stat((dir / "taken").c_str(), &st) == 0);
  CHECK(st.st_uid == 0);  // never handed over
  if (!fs::exists(install_paths::launch_config()))
    CHECK(r.err.find("run as root, launch does not read launcher/trustnet.yaml from the current folder") !=
          std::string::npos);

  // Named, it must still be root's and writable by no one else.
  const fs::path config = dir.write("host.yaml", text);
  fs::permissions(config, fs::perms(0666));
  const ProcessResult open = launch_in(dir.path(), config.string(), {"status"});
  CHECK(open.exit_status == 2);
  CHECK(open.err == "launch: launcher configuration " + config.string() +
                        " is writable by its group or others (mode 0666): run chmod go-w on it (launch acts on it and "
                        "trusts only a file of root alone)\n");
  fs::permissions(config, fs::perms(0644));
  REQUIRE(::chown(config.c_str(), test::run_user().pw_uid, test::run_user().pw_gid) == 0);
  const ProcessResult others = launch_in(dir.path(), config.string(), {"status"});
  CHECK(others.exit_status == 2);
  CHECK(others.err.find(fmt::format("launcher configuration {} is owned by uid {}, not by root", config.string(),
                                    test::run_user().pw_uid)) != std::string::npos);
  REQUIRE(::stat((dir / "taken").c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  // In a folder others can write (and not sticky), a file of root's could be swapped.
  const fs::path swapped = shared / "host.yaml";
  std::ofstream(swapped) << text;
  const ProcessResult swappable = launch_in(dir.path(), swapped.string(), {"status"});
  CHECK(swappable.exit_status == 2);
  CHECK(swappable.err.find(shared.string() + " (above launcher configuration " + swapped.string() +
                           ") is writable by others (mode 0777) and not sticky") != std::string::npos);

  // trusted_key: the same, named at its line in the configuration.
  REQUIRE(::chown(config.c_str(), 0, 0) == 0);
  const fs::path key = dir.write("release.pub", "untrusted comment: minisign public key\nRWQ=\n");
  fs::permissions(key, fs::perms(0666));
  std::ofstream(config, std::ios::app) << "trusted_key: " << key.string() << "\n";
  const ProcessResult keyed = launch_in(dir.path(), config.string(), {"status"});
  CHECK(keyed.exit_status == 2);
  CHECK(keyed.err.find(config.string() + ":") != std::string::npos);
  CHECK(keyed.err.find("trusted_key " + key.string() + " is writable by its group or others (mode 0666)") !=
        std::string::npos);
  CHECK(std::count(keyed.err.begin(), keyed.err.end(), '\n') == 1);
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
  CHECK(none.err == "launch: no launcher configuration: looked at " + install_paths::launch_config().string() +
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
