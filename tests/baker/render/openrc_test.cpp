#include "baker/render/openrc.hpp"

#include <doctest/doctest.h>

#include "common/util/process.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::baker;

namespace {
ServiceSpec tendermint() {
  ServiceSpec s;
  s.name = "tendermint";
  s.description = "TrustNet CometBFT validator";
  s.command = "/usr/local/bin/tendermint";
  s.args = {"node", "--home", "/opt/trustnet/node", "--moniker", "my node"};
  s.user = "warden";
  s.need = {"net"};
  s.after = {"trustnet-firstboot"};
  s.output_log = "/opt/trustnet/node/logs/tendermint.log";
  s.error_log = "/opt/trustnet/node/logs/tendermint.err";
  return s;
}
}  // namespace

TEST_CASE("an OpenRC script runs the command as its user under supervise-daemon with logs and dependencies") {
  std::string script = render_openrc_script(tendermint(), "node");
  CHECK(script.starts_with("#!/sbin/openrc-run\n"));
  CHECK(script.find("command=/usr/local/bin/tendermint\n") != std::string::npos);
  CHECK(script.find("description='TrustNet CometBFT validator'\n") != std::string::npos);
  CHECK(script.find("command_args='node --home /opt/trustnet/node --moniker '\\''my node'\\'''\n") !=
        std::string::npos);
  CHECK(script.find("command_user=warden:warden\n") != std::string::npos);
  CHECK(script.find("supervisor=supervise-daemon\n") != std::string::npos);
  CHECK(script.find("output_log=/opt/trustnet/node/logs/tendermint.log\n") != std::string::npos);
  CHECK(script.find("error_log=/opt/trustnet/node/logs/tendermint.err\n") != std::string::npos);
  CHECK(script.find("depend() {\n\tneed net\n\tafter trustnet-firstboot\n}\n") != std::string::npos);
  CHECK(script.find("checkpath --file --owner warden:warden --mode 0640 /opt/trustnet/node/logs/tendermint.log\n") !=
        std::string::npos);
}

TEST_CASE("the rendered OpenRC script is valid shell and its arguments survive the shell intact") {
  test::TempDir dir;
  auto file = dir.write("tendermint", render_openrc_script(tendermint(), "node"));
  CHECK(run_process({"sh", "-n", file.string()}).exit_status == 0);
  // openrc-run sources the script and expands command_args with eval: do the same here.
  auto result =
      run_process({"sh", "-c", ". " + file.string() + "; eval \"set -- $command_args\"; printf '%s|' \"$@\""});
  CHECK(result.out == "node|--home|/opt/trustnet/node|--moniker|my node|");
}

TEST_CASE("a root service without logs has no command_user and no start_pre") {
  ServiceSpec s;
  s.name = "plain";
  s.description = "plain";
  s.command = "/bin/true";
  std::string script = render_openrc_script(s, "x");
  CHECK(script.find("command_user") == std::string::npos);
  CHECK(script.find("start_pre") == std::string::npos);
  CHECK(script.find("command_args") == std::string::npos);
  CHECK(render_openrc_conf(s).empty());
}

TEST_CASE("the service environment goes to conf.d as quoted exports") {
  ServiceSpec s = tendermint();
  s.environment = {{"TMHOME", "/opt/trustnet/node"}, {"GREETING", "hello world"}};
  CHECK(render_openrc_conf(s) ==
        "# Settings of the tendermint service, written by bake.\nexport GREETING='hello world'\nexport "
        "TMHOME=/opt/trustnet/node\n");
}

TEST_CASE("a service requiring its instance identity refuses to start, saying so, until the files are there") {
  test::TempDir dir;
  ServiceSpec s = tendermint();
  const std::string key = (dir / "config/priv_validator_key.json").string();
  s.requires_files = {key};
  s.output_log.reset();
  s.error_log.reset();
  std::string script = render_openrc_script(s, "node");
  CHECK(script.find("start_pre() {\n\tif [ ! -e " + key + " ]; then\n") != std::string::npos);
  auto file = dir.write("tendermint", script);
  CHECK(run_process({"sh", "-n", file.string()}).exit_status == 0);
  // Run start_pre as openrc-run would, with eerror standing in for OpenRC's.
  const std::string run = "eerror() { echo \"ERROR: $*\"; }; . " + file.string() + "; start_pre";
  ProcessResult missing = run_process({"sh", "-c", run});
  CHECK(missing.exit_status == 1);
  CHECK(missing.out ==
        "ERROR: " + key + " is missing: this appliance has no instance identity (give it a seed disk: launch init)\n");
  dir.write("config/priv_validator_key.json", "{}");
  CHECK(run_process({"sh", "-c", run}).exit_status == 0);
}

TEST_CASE("values that would run code when openrc-run sources the script are quoted: nothing of them runs") {
  // Validation refuses these in recipes (the bad-recipe corpus); the renderer holds whatever it gets.
  test::TempDir dir;
  const std::string marker = (dir / "ran").string();
  const std::string inject = "$(touch " + marker + ")`touch " + marker + "`\"'\n; touch " + marker;
  ServiceSpec s = tendermint();
  s.description = "d" + inject;
  s.command = "/usr/bin/c" + inject;
  s.directory = "/d" + inject;
  s.output_log = "/o" + inject;
  s.error_log = "/e" + inject;
  s.requires_files = {"/r" + inject};
  s.args = {"a" + inject};
  s.environment = {{"V", "v" + inject}};
  const auto script = dir.write("svc", render_openrc_script(s, "node"));
  const auto conf = dir.write("conf", render_openrc_conf(s));
  CHECK(run_process({"sh", "-n", script.string()}).exit_status == 0);
  // Source both as openrc-run does, expand command_args as it does, run start_pre with stand-ins.
  const std::string run = "eerror() { printf 'ERROR: %s\\n' \"$*\"; }; checkpath() { :; }; . " + conf.string() +
                          "; . " + script.string() +
                          "; eval \"set -- $command_args\"; printf '%s|' \"$command\" \"$directory\" \"$output_log\" "
                          "\"$error_log\" \"$description\" \"$1\" \"$V\"; start_pre";
  ProcessResult sourced = run_process({"sh", "-c", run});
  CHECK_FALSE(std::filesystem::exists(marker));
  CHECK(sourced.out == "/usr/bin/c" + inject + "|/d" + inject + "|/o" + inject + "|/e" + inject + "|d" + inject + "|a" +
                           inject + "|v" + inject + "|ERROR: /r" + inject +
                           " is missing: this appliance has no instance identity (give it a seed disk: launch init)\n");
}
