// `bake fetch` as users run it, against nginx on loopback; nothing here starts an appliance.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/background_process.hpp"
#include "../support/http_server.hpp"
#include "../support/random_bytes.hpp"
#include "../support/temp_dir.hpp"
#include "../support/test_paths.hpp"
#include "common/process.hpp"
#include "common/sha256.hpp"
#include "common/text_file.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

// A recipe folder whose base and binary come from the server; `route` picks /files/ or /slow/.
struct ServedRecipe {
  test::TempDir dir;
  test::HttpServer server{dir.path() / "www", dir.path() / "nginx"};
  std::string base = test::random_bytes(3 << 20, 1), tool = test::random_bytes(1 << 20, 2);

  explicit ServedRecipe(const std::string& route) {
    dir.write("www/base.qcow2", base);
    dir.write("www/tool.tar.gz", tool);
    dir.write("recipes/mini.yaml", "name: mini\nhostname: mini-host\nbase:\n  url: " + server.url(route + "base.qcow2") +
                                       "\n  sha256: " + sha256_hex(base) + "\ndisk_size: 2G\noperator: op\nusers:\n  op:\n    uid: 1000\n"
                                       "network:\n  address: fd10:1234::9\n  prefix: 32\nbinaries:\n  tool:\n    url: " +
                                       server.url(route + "tool.tar.gz") + "\n    sha256: " + sha256_hex(tool) +
                                       "\n    destination: /usr/local/bin/tool\n");
    dir.write("op.pub", test::operator_key + "\n");
  }
  std::vector<std::string> command(std::vector<std::string> extra) const {
    std::vector<std::string> argv{TRUSTNET_BAKE_BINARY, "fetch", "mini", "--recipes", (dir / "recipes").string(), "--ssh-key",
                                  (dir / "op.pub").string(), "--cache", (dir / "cache").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  fs::path entry(const std::string& content) const { return dir / "cache" / "sha256" / sha256_hex(content); }
};

}  // namespace

TEST_CASE("bake fetch downloads every URL input once, prints a line per file, and lists them with --json") {
  ServedRecipe r("/files/");
  ProcessResult first = run_process(r.command({}));
  REQUIRE(first.exit_status == 0);
  CHECK(first.err.find("fetch base image: 3.0 MiB in ") != std::string::npos);
  CHECK(first.err.find("fetch binary tool: 1.0 MiB in ") != std::string::npos);
  CHECK(read_text_file(r.entry(r.base)) == r.base);
  CHECK(read_text_file(r.entry(r.tool)) == r.tool);

  ProcessResult again = run_process(r.command({"--json"}));
  REQUIRE(again.exit_status == 0);
  auto listed = nlohmann::json::parse(again.out);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0]["input"] == "base image");
  CHECK(listed[0]["outcome"] == "cached");
  CHECK(listed[1]["url"] == r.server.url("/files/tool.tar.gz"));
  CHECK(listed[1]["file"] == r.entry(r.tool).string());
  CHECK(r.server.log().size() == 2);  // the second run made no request
}

TEST_CASE("bake fetch interrupted by SIGTERM keeps its partial file, and the next run resumes it with a Range request") {
  ServedRecipe r("/slow/");  // 3 MiB at 1 MiB/s
  const fs::path partial = r.dir / "cache" / "partial" / (sha256_hex(r.base) + ".part");
  test::BackgroundProcess first(r.command({}), r.dir / "first.log");
  for (int i = 0; i < 100 && !(fs::exists(partial) && fs::file_size(partial) > 512 * 1024); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(fs::exists(partial));
  first.signal(SIGTERM);
  CHECK(first.wait() == 128 + SIGTERM);
  CHECK(first.output().find("interrupted") != std::string::npos);
  const auto kept = fs::file_size(partial);
  CHECK(kept > 0);
  CHECK(kept < r.base.size());
  CHECK_FALSE(fs::exists(r.entry(r.base)));

  ProcessResult second = run_process(r.command({}));
  REQUIRE(second.exit_status == 0);
  CHECK(second.err.find("resumed after") != std::string::npos);
  CHECK(read_text_file(r.entry(r.base)) == r.base);
  CHECK_FALSE(fs::exists(partial));
  auto log = r.server.log();
  const std::string range = "/slow/base.qcow2 206 \"bytes=" + std::to_string(kept) + "-\"";
  CHECK_MESSAGE(std::find(log.begin(), log.end(), range) != log.end(), range);
}

TEST_CASE("bake fetch holds local inputs to their pins too, without copying them into the cache") {
  test::TempDir dir;
  auto base = dir.write("base.qcow2", "local base");
  auto tool = dir.write("tool", "local tool");
  dir.write("op.pub", test::operator_key + "\n");
  auto recipe = [&](const std::string& tool_sha256) {
    dir.write("recipes/mini.yaml", "name: mini\nhostname: mini-host\nbase:\n  path: " + base.string() + "\n  sha256: " + sha256_hex("local base") +
                                       "\ndisk_size: 2G\noperator: op\nusers:\n  op:\n    uid: 1000\nnetwork:\n  address: fd10:1234::9\n"
                                       "  prefix: 32\nbinaries:\n  tool:\n    path: " + tool.string() + "\n    sha256: " + tool_sha256 +
                                       "\n    destination: /usr/local/bin/tool\n");
  };
  const std::vector<std::string> command{TRUSTNET_BAKE_BINARY, "fetch", "mini", "--recipes", (dir / "recipes").string(), "--ssh-key",
                                         (dir / "op.pub").string(), "--cache", (dir / "cache").string(), "--json"};
  recipe(sha256_hex("local tool"));
  ProcessResult good = run_process(command);
  REQUIRE(good.exit_status == 0);
  CHECK(good.err.find("fetch binary tool: local file " + tool.string() + ", sha256 verified") != std::string::npos);
  auto listed = nlohmann::json::parse(good.out);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0]["outcome"] == "local");
  CHECK(listed[0]["file"] == base.string());
  CHECK_FALSE(fs::exists(dir / "cache" / "sha256"));

  recipe(sha256_hex("the pinned tool"));
  ProcessResult bad = run_process(command);
  CHECK(bad.exit_status == 1);
  CHECK(bad.err.find("\nbake: binary tool " + tool.string() + ": sha256 is " + sha256_hex("local tool") + ", but the recipe pins " +
                       sha256_hex("the pinned tool") + "\n") != std::string::npos);
}
