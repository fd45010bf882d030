// `bake fetch` as users run it, against nginx on loopback; nothing here starts an appliance.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/background_process.hpp"
#include "support/http_server.hpp"
#include "support/random_bytes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

// `bake fetch mini` with the recipe folder, operator key and cache under `dir`.
std::vector<std::string> fetch_mini(const fs::path& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> argv{TRUSTNET_BAKE_BINARY,
                                "fetch",
                                "mini",
                                "--recipes",
                                (dir / "recipes").string(),
                                "--ssh-key",
                                (dir / "op.pub").string(),
                                "--cache",
                                (dir / "cache").string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// A recipe folder whose base and binary come from the server; `route` picks /files/ or /slow/.
struct ServedRecipe {
  test::TempDir dir;
  test::HttpServer server{dir.path() / "www", dir.path() / "nginx"};
  std::string base = test::random_bytes(3 << 20, 1), tool = test::random_bytes(1 << 20, 2);

  explicit ServedRecipe(const std::string& route) {
    dir.write("www/base.qcow2", base);
    dir.write("www/tool.tar.gz", tool);
    dir.write("recipes/mini.yaml",
              "name: mini\nhostname: mini-host\nbase:\n  url: " + server.url(route + "base.qcow2") +
                  "\n  sha256: " + sha256_hex(base) +
                  "\ndisk_size: 2G\noperator: op\nusers:\n  op:\n    uid: 1000\n"
                  "network:\n  address: fd10:1234::9\n  prefix: 32\nbinaries:\n  tool:\n    url: " +
                  server.url(route + "tool.tar.gz") + "\n    sha256: " + sha256_hex(tool) +
                  "\n    destination: /usr/local/bin/tool\n");
    dir.write("op.pub", test::operator_key + "\n");
  }
  std::vector<std::string> command(std::vector<std::string> extra) const { return fetch_mini(dir.path(), extra); }
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

TEST_CASE(
    "bake fetch interrupted by SIGTERM keeps its partial file, and the next run resumes it with a Range request") {
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
    dir.write("recipes/mini.yaml",
              "name: mini\nhostname: mini-host\nbase:\n  path: " + base.string() +
                  "\n  sha256: " + sha256_hex("local base") +
                  "\ndisk_size: 2G\noperator: op\nusers:\n  op:\n    uid: 1000\nnetwork:\n  address: fd10:1234::9\n"
                  "  prefix: 32\nbinaries:\n  tool:\n    path: " +
                  tool.string() + "\n    sha256: " + tool_sha256 + "\n    destination: /usr/local/bin/tool\n");
  };
  const std::vector<std::string> command = fetch_mini(dir.path(), {"--json"});
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
  CHECK(bad.err.find("\nbake: binary tool " + tool.string() + ": sha256 is " + sha256_hex("local tool") +
                     ", but the recipe pins " + sha256_hex("the pinned tool") + "\n") != std::string::npos);
}

TEST_CASE("bake fetch --url pins one file by its SHA-256, prints its path in the cache, and refuses other bytes") {
  test::TempDir dir;
  test::HttpServer server{dir.path() / "www", dir.path() / "nginx"};
  const std::string rootfs = test::random_bytes(2 << 20, 3);
  dir.write("www/rootfs.tar.gz", rootfs);
  const fs::path cache = dir / "cache";
  auto fetch = [&](const std::string& url, const std::string& sha256, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{TRUSTNET_BAKE_BINARY, "fetch", "--url",   url,
                                  "--sha256",           sha256,  "--cache", cache.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv);
  };
  // Upper-case digests name the same entry: the cache is keyed by lower case.
  std::string upper = sha256_hex(rootfs);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  ProcessResult first = fetch(server.url("/files/rootfs.tar.gz?mirror=1"), upper);
  REQUIRE_MESSAGE(first.exit_status == 0, first.err);
  CHECK(first.out == (cache / "sha256" / sha256_hex(rootfs)).string() + "\n");
  CHECK(first.err.find("fetch rootfs.tar.gz: 2.0 MiB in ") != std::string::npos);
  CHECK(read_text_file(cache / "sha256" / sha256_hex(rootfs)) == rootfs);

  ProcessResult again = fetch(server.url("/files/rootfs.tar.gz"), sha256_hex(rootfs), {"--offline", "--json"});
  REQUIRE(again.exit_status == 0);
  auto listed = nlohmann::json::parse(again.out);
  CHECK(listed["outcome"] == "cached");
  CHECK(listed["file"] == (cache / "sha256" / sha256_hex(rootfs)).string());
  CHECK(server.log().size() == 1);

  const std::string other = sha256_hex("other bytes");
  ProcessResult wrong = fetch(server.url("/files/rootfs.tar.gz"), other);
  CHECK(wrong.exit_status == 1);
  CHECK(wrong.err == "fetch rootfs.tar.gz: " + server.url("/files/rootfs.tar.gz") + ": sha256 is " +
                         sha256_hex(rootfs) + ", but --sha256 pins " + other + "; nothing was cached\n");
  CHECK_FALSE(fs::exists(cache / "sha256" / other));
  ProcessResult offline = fetch(server.url("/files/rootfs.tar.gz"), other, {"--offline"});
  CHECK(offline.exit_status == 1);
  CHECK(offline.err == "bake: offline, and 1 input is not in the cache " + cache.string() + ": rootfs.tar.gz (" +
                           server.url("/files/rootfs.tar.gz") + ")\n");

  ProcessResult short_digest = fetch(server.url("/files/rootfs.tar.gz"), "abc");
  CHECK(short_digest.exit_status == 1);
  CHECK(short_digest.err == "bake: --sha256: sha256 'abc' must be 64 hexadecimal digits\n");
  ProcessResult unpinned = run_process(
      {TRUSTNET_BAKE_BINARY, "fetch", "--url", server.url("/files/rootfs.tar.gz"), "--cache", cache.string()});
  CHECK(unpinned.exit_status == 2);
  CHECK(unpinned.err == "bake fetch: --url needs --sha256: a download is pinned by its digest\n");
  ProcessResult both =
      run_process({TRUSTNET_BAKE_BINARY, "fetch", "node", "--url", server.url("/x"), "--sha256", other});
  CHECK(both.exit_status != 0);
  CHECK(both.err.find("names excludes --url") != std::string::npos);
  ProcessResult nothing = run_process({TRUSTNET_BAKE_BINARY, "fetch"});
  CHECK(nothing.exit_status == 2);
  CHECK(nothing.err.find("give --url and --sha256") != std::string::npos);
}
