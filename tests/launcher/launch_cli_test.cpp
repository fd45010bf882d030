// `launch init` as operators run it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "../support/temp_dir.hpp"
#include "../support/test_paths.hpp"
#include "common/process.hpp"
#include "common/text_file.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

ProcessResult launch(std::vector<std::string> args) {
  args.insert(args.begin(), TRUSTNET_LAUNCH_BINARY);
  return run_process(args);
}

// The default configuration with its state folder moved into the test's folder.
fs::path config_in(const test::TempDir& dir) {
  std::string text = read_text_file(test::source_dir() / "launcher/trustnet.yaml");
  text = std::regex_replace(text, std::regex("state: ~/vms"), "state: " + (dir / "vms").string());
  return dir.write("trustnet.yaml", text);
}

}  // namespace

TEST_CASE("launch init writes a seed per instance, shows the registry password once, and keeps identities on a second run") {
  test::TempDir dir;
  const fs::path config = config_in(dir);
  ProcessResult first = launch({"init", "--config", config.string()});
  REQUIRE(first.exit_status == 0);
  CHECK(first.out.find("node: new identity, seed " + (dir / "vms/node/seed.iso").string()) != std::string::npos);
  CHECK(first.out.find("registry: new identity") != std::string::npos);
  std::smatch password;
  REQUIRE(std::regex_search(first.out, password, std::regex("registry password of keeper, shown once \\(kept 0600 in .*\\): ([A-Za-z0-9]{24})\\n")));
  CHECK(read_text_file(dir / "vms/network/registry-password") == password[1].str() + "\n");

  ProcessResult second = launch({"init", "--config", config.string(), "--json"});
  REQUIRE(second.exit_status == 0);
  auto outcome = nlohmann::json::parse(second.out);
  CHECK(outcome["kept"] == nlohmann::json::array({"node", "registry"}));
  CHECK(outcome["created"].empty());
  CHECK_FALSE(outcome.contains("registry_password"));
  CHECK(second.out.find(password[1].str()) == std::string::npos);
}

TEST_CASE("launch answers --help, and a bad configuration gets one file:line:col line and exit 2") {
  CHECK(launch({"--help"}).exit_status == 0);
  ProcessResult help = launch({"init", "--help"});
  CHECK(help.exit_status == 0);
  CHECK(help.out.find("--rotate") != std::string::npos);
  test::TempDir dir;
  auto bad = dir.write("bad.yaml", "network:\n  chain_id: trustnet-1\n  color: blue\n");
  ProcessResult r = launch({"init", "--config", bad.string()});
  CHECK(r.exit_status == 2);
  CHECK(r.err == bad.string() + ":3:3: unknown key 'color' in network (expected one of: chain_id, domain)\n");
  CHECK(launch({"init", "--config", (dir / "missing.yaml").string()}).exit_status == 2);
}
