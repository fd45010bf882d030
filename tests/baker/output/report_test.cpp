#include "baker/output/report.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/util/sha256.hpp"

using namespace trustnet;
using namespace trustnet::baker;

TEST_CASE("the report lists what the bake made with its origin, what it removed and what it emptied, each apart") {
  Recipe recipe;
  recipe.name = "node";
  Plan plan;
  plan.name = "node";
  plan.base.sha256 = std::string(64, 'a');
  plan.base.format = "qcow2";
  ExecutionResult result;
  result.engine = "ext4";
  result.edits = {
      TreeEdit::removed("/etc/ssh/ssh_host_ed25519_key").because("recipe", {}, {}),
      TreeEdit::removed_tree("/home/alpine").because("accounts", {}, {}),
      TreeEdit::emptied("/etc/machine-id", 0444, 0, 0, sha256_hex("")).because("recipe", {}, {}),
      TreeEdit::directory("/opt", 0755, 0, 0),  // made on the way: no origin, not listed
      TreeEdit::file("/opt/tool", 0755, 0, 0, 3, sha256_hex("abc")).because("binary tool", "root", "root"),
      TreeEdit::symlink("/usr/bin/tool", 0, 0, "/opt/tool").because("recipe", "root", "root"),
  };
  const nlohmann::json report = nlohmann::json::parse(render_report({recipe,
                                                                     plan,
                                                                     "base.qcow2",
                                                                     result,
                                                                     {{"load recipe", 0.25}},
                                                                     "out/node.qcow2",
                                                                     "bb",
                                                                     "out/node.mtree",
                                                                     "cc",
                                                                     BakeFingerprint{}}));
  CHECK(report["removed"] == nlohmann::json::array({"/etc/ssh/ssh_host_ed25519_key", "/home/alpine"}));
  CHECK(report["emptied"] == nlohmann::json::array({"/etc/machine-id"}));
  REQUIRE(report["files"].size() == 2);
  CHECK(report["files"][0]["path"] == "/opt/tool");
  CHECK(report["files"][0]["origin"] == "binary tool");
  CHECK(report["files"][0]["sha256"] == sha256_hex("abc"));
  CHECK(report["files"][0]["mode"] == "0755");
  CHECK(report["files"][1]["type"] == "symlink");
  CHECK(report["files"][1]["target"] == "/opt/tool");
  CHECK(report["engine"] == "ext4");
  CHECK(report["total_seconds"] == 0.25);
}
