// The host service files (launcher/service): the systemd unit checked by systemd-analyze, the
// OpenRC script run as openrc-run runs it, and the commands both give the launcher accepted by
// the real launcher.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <regex>
#include <sstream>

#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "support/checkout_config.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "support/text_lines.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

// What configure_file(@ONLY) makes of a template, with the binaries in `bindir` and /etc in `sysconfdir`.
std::string configured(const std::string& name, const fs::path& bindir, const fs::path& sysconfdir) {
  std::string text = read_text_file(test::source_dir() / "launcher/service" / name);
  text = std::regex_replace(text, std::regex("@CMAKE_INSTALL_FULL_BINDIR@"), bindir.string());
  text = std::regex_replace(text, std::regex("@CMAKE_INSTALL_FULL_SYSCONFDIR@"), sysconfdir.string());
  CHECK_MESSAGE(text.find("@CMAKE_") == std::string::npos, name);
  return text;
}

// The default configuration with its state and golden images in `dir`, initialised.
fs::path initialised_config(const test::TempDir& dir) {
  const fs::path config = test::checkout_config_in(dir);
  run_checked({TRUSTNET_LAUNCH_BINARY, "init", "--config", config.string()});
  return config;
}

// A launch command line as the service gives it, run by the real launcher without touching the
// host: `all` as a dry run, `stop` for real (nothing runs). `as_run_user`: as the unit's User=.
void check_accepted(const fs::path& config, std::vector<std::string> args, bool as_run_user = false) {
  const std::string shown = fmt::format("{}", fmt::join(args, " "));
  if (args.at(0) == "all") args.push_back("--dry-run");
  if (args.at(0) == "network") args = {"network", "--help"};  // needs CAP_NET_ADMIN: only its parse is checked
  std::vector<std::string> argv{"env", "TRUSTNET_CONFIG=" + config.string(), TRUSTNET_LAUNCH_BINARY};
  if (as_run_user)
    argv.insert(argv.begin(), {"setpriv", "--reuid", "trustnet", "--regid", "trustnet", "--init-groups",
                               "--inh-caps=-all", "--no-new-privs"});
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult result = run_process(argv);
  // A dry run on a host without the bridge says the run would stop there: the line was accepted.
  const bool no_bridge = args.at(0) == "all" && result.exit_status == 1 &&
                         result.err.starts_with("launch: the run would stop here: bridge trustnet0 does not exist");
  CHECK_MESSAGE((result.exit_status == 0 || no_bridge), shown, ": ", result.err);
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// A unit of launcher/service configured into `dir` (launch linked in dir/bin), written as
// `file_name`, checked by `systemd-analyze verify` (--man=no: the unit's Documentation= pages are
// the package's, not installed on a build machine; the man_pages test checks them); its
// settings, KEY=VALUE by key.
std::map<std::string, std::string> verified_unit(const test::TempDir& dir, const std::string& template_name,
                                                 const std::string& file_name) {
  if (!fs::exists(dir / "bin/launch")) {
    fs::create_directories(dir / "bin");
    fs::create_symlink(TRUSTNET_LAUNCH_BINARY, dir / "bin/launch");
  }
  const std::string unit = configured(template_name, dir / "bin", dir / "etc");
  const fs::path file = dir.write(file_name, unit);
  const ProcessResult verify = run_process({"systemd-analyze", "verify", "--man=no", file.string()});
  CHECK_MESSAGE(verify.exit_status == 0, verify.err);
  // Nothing said about the unit (a template's instance is named by its template's stem).
  const size_t at = file_name.find('@');
  const std::string named = at == std::string::npos ? file_name : file_name.substr(0, at + 1);
  CHECK_MESSAGE(verify.err.find(named) == std::string::npos, verify.err);
  std::map<std::string, std::string> keys;
  for (const auto& line : test::lines_starting(unit, ""))
    if (auto eq = line.find('='); eq != std::string::npos && line[0] != '#')
      keys[line.substr(0, eq)] = line.substr(eq + 1);
  return keys;
}

// systemd's own judgement of the unit's confinement: its overall exposure level.
double exposure(const test::TempDir& dir, const std::string& file_name) {
  const ProcessResult security =
      run_process({"systemd-analyze", "security", "--offline=yes", "--no-pager", (dir / file_name).string()});
  std::smatch level;
  const std::string name = std::regex_replace(file_name, std::regex("[.]"), "\\.");
  REQUIRE_MESSAGE(
      std::regex_search(security.out, level, std::regex("Overall exposure level for " + name + ": ([0-9]+\\.[0-9])")),
      security.out, security.err);
  return std::stod(level[1].str());
}

}  // namespace

TEST_CASE(
    "the systemd unit passes systemd-analyze verify, makes the bridge and starts one instance unit per instance") {
  test::TempDir dir;
  auto keys = verified_unit(dir, "trustnet.service.in", "trustnet.service");
  CHECK(keys["After"] == "network-online.target");
  CHECK(keys["Wants"] == "network-online.target");
  CHECK(keys["WantedBy"] == "multi-user.target");
  CHECK(keys["Type"] == "oneshot");
  CHECK(keys["RemainAfterExit"] == "yes");
  CHECK(keys["Environment"] == "TRUSTNET_CONFIG=" + (dir / "etc/trustnet/launch.yaml").string());
  const std::string launch = (dir / "bin/launch").string() + " ";
  // The bridge as root, with CAP_NET_ADMIN alone; then the instance units, through systemctl.
  const auto starts = test::lines_starting(read_text_file(dir / "trustnet.service"), "ExecStart=");
  REQUIRE(starts ==
          std::vector<std::string>{"ExecStart=!" + launch + "network up", "ExecStart=+" + launch + "units --start"});
  CHECK(keys.count("ExecStop") == 0);  // the instances stop through their own units (PartOf=)
  CHECK(keys["User"] == "trustnet");
  CHECK(keys["StateDirectory"] == "trustnet");
  CHECK(keys["StateDirectoryMode"] == "0700");
  CHECK(keys["CapabilityBoundingSet"] == "CAP_NET_ADMIN");

  // systemd's own judgement of the confinement: 9.6 UNSAFE before; 2.0 or lower now.
  CHECK(exposure(dir, "trustnet.service") <= 2.0);

  const fs::path config = initialised_config(dir);
  check_accepted(config, {"network", "up"});
  // What `units --start` would run: one unit per instance of the configuration, not waited for.
  const ProcessResult units = run_process(
      {"env", "TRUSTNET_CONFIG=" + config.string(), TRUSTNET_LAUNCH_BINARY, "units", "--start", "--dry-run"});
  CHECK(units.exit_status == 0);
  CHECK(units.out == "systemctl start --no-block trustnet@node.service trustnet@registry.service\n");
  CHECK(run_process({"env", "TRUSTNET_CONFIG=" + config.string(), TRUSTNET_LAUNCH_BINARY, "units"}).out ==
        "trustnet@node.service\ntrustnet@registry.service\n");
}

TEST_CASE("the instance unit trustnet@.service passes systemd-analyze verify, is confined, and runs launch run") {
  test::TempDir dir;
  // systemd-analyze checks an instance of the template, beside the unit it is part of.
  verified_unit(dir, "trustnet.service.in", "trustnet.service");
  auto keys = verified_unit(dir, "trustnet@.service.in", "trustnet@node.service");
  const std::string launch = (dir / "bin/launch").string() + " ";
  CHECK(keys["Type"] == "notify");
  CHECK(keys["NotifyAccess"] == "main");
  REQUIRE(keys["ExecStart"] == launch + "run %i --timeout 840");
  REQUIRE(keys["ExecStop"] == launch + "stop %i --timeout 240");
  CHECK(keys["Restart"] == "on-failure");
  CHECK(keys["StartLimitBurst"] == "5");
  CHECK(keys["StartLimitIntervalSec"] == "30min");
  CHECK(keys["KillMode"] == "mixed");  // SIGTERM to launch run alone: it powers the guest down
  CHECK(keys["WatchdogSec"] == "3min");
  CHECK(keys["TimeoutStartSec"] == "15min");
  CHECK(keys["User"] == "trustnet");
  CHECK(keys["CapabilityBoundingSet"].empty());
  // Started by trustnet.service once the bridge is up; stopped and restarted with it.
  CHECK(keys["Requires"] == "trustnet.service");
  CHECK(keys["PartOf"] == "trustnet.service");
  CHECK(keys["After"] == "network-online.target trustnet.service");
  CHECK(keys.count("WantedBy") == 0);
  // systemd waits for the whole stop: the power-down (240 s), SIGTERM (10 s), SIGKILL (5 s).
  CHECK(keys["TimeoutStopSec"] == "5min");
  const std::string& stop = keys["ExecStop"];
  CHECK(std::stoi(stop.substr(stop.rfind(' ') + 1)) + 10 + 5 < 5 * 60);

  CHECK(exposure(dir, "trustnet@node.service") <= 2.0);

  // The launcher accepts both command lines (run's options parsed only: it would start the instance).
  const fs::path config = initialised_config(dir);
  check_accepted(config, {"run", "node", "--timeout", "840", "--help"}, true);
  check_accepted(config, {"stop", "node", "--timeout", "240"}, true);
}

TEST_CASE(
    "the OpenRC script is valid shell and, sourced as openrc-run does, runs the bridge, the instances and the stop "
    "with conf.d's values") {
  test::TempDir dir;
  fs::create_directories(dir / "bin");
  // A stand-in launcher that records each command line and the configuration it was given.
  const fs::path log = dir / "calls";
  dir.write("bin/launch", "#!/bin/sh\nprintf '%s|%s\\n' \"$TRUSTNET_CONFIG\" \"$*\" >> " + log.string() + "\n");
  fs::permissions(dir / "bin/launch", fs::perms::owner_all);
  const fs::path script = dir.write("init.d/trustnet", configured("trustnet.openrc.in", dir / "bin", dir / "etc"));
  CHECK(read_text_file(script).starts_with("#!/sbin/openrc-run\n"));
  CHECK(run_process({"sh", "-n", script.string()}).exit_status == 0);
  CHECK(run_process({"sh", "-n", (test::source_dir() / "launcher/service/trustnet.confd").string()}).exit_status == 0);

  // openrc-run sources conf.d, then the script, then calls depend, start, stop; ebegin/eend stand in.
  const std::string helpers =
      "ebegin() { :; }; eend() { return \"$1\"; }; need() { echo \"need $*\"; }; after() { echo \"after $*\"; }; ";
  const ProcessResult defaults =
      run_process({"sh", "-c", helpers + ". " + script.string() + " && depend && start && stop && instances"});
  CHECK(defaults.exit_status == 0);
  CHECK(defaults.out == "need net\nafter firewall\n");
  const std::string config = (dir / "etc/trustnet/launch.yaml").string();
  CHECK(read_text_file(log) == config + "|network up\n" + config + "|all --wait up --timeout 840 --quiet\n" + config +
                                   "|stop all --timeout 240\n" + config + "|status all\n");

  fs::remove(log);
  const fs::path confd =
      dir.write("conf.d/trustnet", "TRUSTNET_CONFIG=/srv/trustnet.yaml\nlaunch_timeout=60\nstop_timeout=5\n");
  const ProcessResult tuned =
      run_process({"sh", "-c", helpers + ". " + confd.string() + " && . " + script.string() + " && start && stop"});
  CHECK(tuned.exit_status == 0);
  CHECK(read_text_file(log) ==
        "/srv/trustnet.yaml|network up\n/srv/trustnet.yaml|all --wait up --timeout 60 --quiet\n"
        "/srv/trustnet.yaml|stop all --timeout 5\n");

  // A failing bridge stops the start there, and the failure reaches eend.
  dir.write("bin/launch", "#!/bin/sh\nprintf '%s\\n' \"$*\" >> " + log.string() + "\n[ \"$1\" != network ]\n");
  fs::remove(log);
  CHECK(run_process({"sh", "-c", helpers + ". " + script.string() + " && start"}).exit_status == 1);
  CHECK(read_text_file(log) == "network up\n");

  const fs::path real = initialised_config(dir);
  for (const char* args : {"network up", "all --wait up --timeout 840 --quiet", "stop all --timeout 240", "status all"})
    check_accepted(real, words(args));

  // Linked as trustnet.node: that instance under supervise-daemon, as trustnet, respawned.
  dir.write("bin/launch", "#!/bin/sh\nprintf '%s|%s\\n' \"$TRUSTNET_CONFIG\" \"$*\" >> " + log.string() + "\n");
  fs::remove(log);
  const std::string shown =
      "checkpath() { echo \"checkpath $*\"; }; RC_SVCNAME=trustnet.node; . " + script.string() +
      " && start_pre && printf '%s\\n' \"$supervisor\" \"$command $command_args\" \"$command_user\" \"$respawn_delay "
      "$respawn_max $respawn_period\" \"$output_log\" \"$retry\" && { command -v start || echo 'no start of its own'; "
      "}";
  const ProcessResult instance = run_process({"sh", "-c", helpers + shown});
  INFO(instance.out, instance.err);
  CHECK(instance.exit_status == 0);
  CHECK(test::lines_starting(instance.out, "") ==
        std::vector<std::string>{"checkpath --directory --owner trustnet:trustnet --mode 0750 /var/log/trustnet",
                                 "supervise-daemon",
                                 (dir / "bin/launch").string() + " run node --timeout 840 "
                                                                 "--power-down-timeout 240",
                                 "trustnet:trustnet", "10 5 1800", "/var/log/trustnet/node.log", "TERM/270/KILL/5",
                                 // openrc-run's own start, which runs supervise-daemon
                                 "no start of its own"});
  CHECK(read_text_file(log) == config + "|network up\n");
  check_accepted(real, {"run", "node", "--timeout", "840", "--power-down-timeout", "240", "--help"}, true);
}
