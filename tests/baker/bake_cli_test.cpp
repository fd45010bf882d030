// The bake command line, run as users run it; nothing here starts an appliance.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "support/background_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "support/tmpfs_mount.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {
ProcessResult bake(std::vector<std::string> args) {
  args.insert(args.begin(), TRUSTNET_BAKE_BINARY);
  return run_process(args);
}
}  // namespace

TEST_CASE("a recipe error on the command line prints one file:line:col line and exits 2") {
  test::TempDir dir;
  auto key = dir.write("op.pub", test::operator_key + "\n");
  ProcessResult r = bake({"plan", "bad_ipv6", "--recipes", "tests/baker/recipe/corpus", "--ssh-key", key.string()});
  CHECK(r.exit_status == 2);
  CHECK(r.err == "tests/baker/recipe/corpus/bad_ipv6.yaml:4:12: 'fd10:1234::zz' is not a valid IPv6 address\n");
  CHECK(r.out.empty());
  ProcessResult build = bake({"bad_size", "--recipes", "tests/baker/recipe/corpus", "--ssh-key", key.string(), "--out",
                              (dir / "out").string()});
  CHECK(build.exit_status == 2);
  CHECK(build.err.starts_with("tests/baker/recipe/corpus/bad_size.yaml:3:12: "));
  CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("baking without any operator key is refused with the place to add one") {
  ProcessResult r = bake({"plan", "node"});
  CHECK(r.exit_status == 2);
  CHECK(r.err.find("recipes/node.yaml:7:11: operator 'warden' has no SSH public key") == 0);
  // A key file that is a device or a folder is named for what it is, never read.
  for (const char* not_a_file : {"/dev/zero", "/dev/null"}) {
    CAPTURE(not_a_file);
    const ProcessResult device = bake({"plan", "node", "--ssh-key", not_a_file});
    CHECK(device.exit_status == 2);
    CHECK(device.err ==
          std::string(not_a_file) +
              ": SSH public key file is not a regular file (a device or a folder is never read as keys)\n");
  }
}

TEST_CASE("bake plan --json prints the ordered edits as JSON") {
  test::TempDir dir;
  auto key = dir.write("op.pub", test::operator_key + "\n");
  ProcessResult r = bake({"plan", "all", "--json", "--ssh-key", key.string()});
  REQUIRE(r.exit_status == 0);
  // one document per recipe, node first
  auto first_end = r.out.find("\n}\n");
  REQUIRE(first_end != std::string::npos);
  auto node = nlohmann::json::parse(r.out.substr(0, first_end + 3));
  auto registry = nlohmann::json::parse(r.out.substr(first_end + 3));
  CHECK(node["name"] == "node");
  CHECK(registry["name"] == "registry");
  CHECK(node["steps"].size() > 10);
}

TEST_CASE("an unpinned release, and offline inputs missing from the cache, are refused before any work") {
  test::TempDir dir;
  auto key = dir.write("op.pub", test::operator_key + "\n");
  auto unpin = dir.write("unpin.yaml",
                         "binaries:\n  caddy:\n    url: https://example.invalid/caddy.tar.gz\n"
                         "    unpinned: no digest published yet\n    member: caddy\n"
                         "    destination: /usr/local/bin/caddy\n");
  const std::vector<std::string> where{"--ssh-key", key.string(), "--cache", (dir / "cache").string()};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), where.begin(), where.end());
    if (args.front() != "fetch") args.insert(args.end(), {"--out", (dir / "out").string()});
    return bake(args);
  };
  ProcessResult unpinned = with({"registry", "--override", unpin.string()});
  CHECK(unpinned.exit_status == 2);
  CHECK(unpinned.err.find("binary caddy has no pinned sha256 (no digest published yet)") != std::string::npos);
  ProcessResult fetch_unpinned = with({"fetch", "registry", "--override", unpin.string()});
  CHECK(fetch_unpinned.exit_status == 2);
  CHECK(fetch_unpinned.err == unpinned.err);

  // Offline with a cold cache: one line naming every input of both recipes, and no image.
  ProcessResult offline = with({"all", "--offline"});
  CHECK(offline.exit_status == 1);
  CHECK(offline.err.find("offline, and 4 inputs are not in the cache " + (dir / "cache").string() +
                         ": node base image (https://dl-cdn.alpinelinux.org/") != std::string::npos);
  for (const char* input : {"node binary tendermint (https://github.com/cometbft/",
                            "registry binary registry (https://github.com/distribution/",
                            "registry binary caddy (https://github.com/caddyserver/"})
    CHECK_MESSAGE(offline.err.find(input) != std::string::npos, input);
  CHECK(std::count(offline.err.begin(), offline.err.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(dir / "out" / "node.qcow2"));
  CHECK(with({"fetch", "all", "--offline"}).err == offline.err);

  // A source that cannot be reached (here a closed port on loopback, as a machine without that
  // network sees Alpine's server): the one line says how to do without it.
  auto unreachable =
      dir.write("unreachable.yaml", "base:\n  url: http://127.0.0.1:1/alpine.qcow2\n  sha256: " + std::string(64, 'a') +
                                        "\n  format: qcow2\n");
  ProcessResult away = with({"fetch", "node", "--override", unreachable.string()});
  CHECK(away.exit_status == 1);
  const std::string last = away.err.substr(away.err.rfind('\n', away.err.size() - 2) + 1);
  CHECK(last.find("(gave up after 4 attempts); without that network, fill the cache from a mirror with `bake fetch "
                  "--url MIRROR_URL --sha256 " +
                  std::string(64, 'a') + "` (or copy a filled cache), then bake with --offline\n") !=
        std::string::npos);
}

TEST_CASE("a damaged cache entry is reported with how to replace it, before any appliance starts") {
  test::TempDir dir;
  auto key = dir.write("op.pub", test::operator_key + "\n");
  const std::string base_pin = "7029d40a567dcfeb9a2fff68e131f484cf03c263fd11505529d5906d8c79dbec";
  const std::string cometbft_pin = "5a6a4bf655a84d9463932ff93ac373ea68327c14c26d65a497a3907c45c65144";
  auto base_entry = dir.write("cache/sha256/" + base_pin, "torn by a power loss");
  dir.write("cache/sha256/" + cometbft_pin, "torn too");
  ProcessResult r =
      bake({"node", "--ssh-key", key.string(), "--cache", (dir / "cache").string(), "--out", (dir / "out").string()});
  CHECK(r.exit_status == 1);
  CHECK(r.err.find("fetch base image: in the cache") != std::string::npos);
  CHECK(r.err.find("base image " + base_entry.string() + ": sha256 is " + sha256_hex("torn by a power loss") +
                   ", but the recipe pins " + base_pin +
                   "; the cache entry is damaged: delete it and run `bake fetch node`") != std::string::npos);
  CHECK(r.err.find("launch appliance") == std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out" / "node.qcow2"));
}

TEST_CASE("every subcommand answers --help, and a bare bake says what it needs") {
  CHECK(bake({"--help"}).exit_status == 0);
  ProcessResult plan_help = bake({"plan", "--help"});
  CHECK(plan_help.exit_status == 0);
  CHECK(plan_help.out.find("--json") != std::string::npos);
  ProcessResult fetch_help = bake({"fetch", "--help"});
  CHECK(fetch_help.exit_status == 0);
  CHECK(fetch_help.out.find("--offline") != std::string::npos);
  ProcessResult bare = bake({});
  CHECK(bare.exit_status == 2);
  CHECK(bare.err.find("name a recipe") != std::string::npos);
  CHECK(bake({"--no-such-flag"}).exit_status == 2);
}

TEST_CASE("the next bake of an output removes what a killed bake left behind, and says so") {
  test::TempDir dir;
  auto key = dir.write("op.pub", test::operator_key + "\n");
  const std::string base_pin = "7029d40a567dcfeb9a2fff68e131f484cf03c263fd11505529d5906d8c79dbec";
  dir.write("cache/sha256/" + base_pin, "not the base");  // the bake stops at its check, after the clean-up
  dir.write("cache/sha256/5a6a4bf655a84d9463932ff93ac373ea68327c14c26d65a497a3907c45c65144", "nor the release");
  const auto image_left = dir.write("out/.node.qcow2.tmp-999999999-0123456789abcdef", "half an image");
  const auto tar_left = dir.write("out/.node.root.tar.tmp-999999999-fedcba9876543210", "half a tar");
  const auto other = dir.write("out/.registry.qcow2.tmp-999999999-0123456789abcdef", "another recipe's");
  dir.write("out/.node.lock", "bake node (pid 999999999)\n");  // its lock, released when it died
  ProcessResult r =
      bake({"node", "--ssh-key", key.string(), "--cache", (dir / "cache").string(), "--out", (dir / "out").string()});
  CHECK(r.exit_status == 1);
  CHECK(r.err.find("removed " + image_left.string() + ", left behind by a bake that was killed") != std::string::npos);
  CHECK(r.err.find("removed " + tar_left.string() + ", left behind by a bake that was killed") != std::string::npos);
  CHECK_FALSE(fs::exists(image_left));
  CHECK_FALSE(fs::exists(tar_left));
  CHECK(fs::exists(other));  // the registry's own lock guards that one
}

namespace {

// A node recipe of the test's own whose base and release are local files.
fs::path local_node_recipe(const test::TempDir& dir, const fs::path& base) {
  const auto release = dir.write("stage/cometbft", "#!/bin/sh\n");
  run_checked({"tar", "-C", (dir / "stage").string(), "-czf", (dir / "cometbft.tar.gz").string(), "cometbft"});
  return dir.write("recipes/node.yaml",
                   fmt::format("include: {}\nbase: {{path: {}, sha256: {}}}\nbinaries:\n  tendermint: {{path: {}, "
                               "sha256: {}, member: cometbft, "
                               "destination: /usr/local/bin/tendermint}}\n",
                               (test::source_dir() / "recipes/node.yaml").string(), base.string(), sha256_file(base),
                               (dir / "cometbft.tar.gz").string(), sha256_file(dir / "cometbft.tar.gz")));
}

// An operator key and the node recipe on a blank 1 MiB qcow2 base: enough for everything that
// happens before an appliance starts. Returns the key file.
fs::path node_recipe_on_blank_base(const test::TempDir& dir) {
  auto key = dir.write("op.pub", test::operator_key + "\n");
  dir.write("base.raw", std::string(1 << 20, '\0'));
  run_checked({"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", (dir / "base.raw").string(),
               (dir / "base.qcow2").string()});
  local_node_recipe(dir, dir / "base.qcow2");
  return key;
}

}  // namespace

TEST_CASE("a base image with a backing file is refused: its pinned digest does not cover what it reads") {
  test::TempDir dir;
  auto key = dir.write("op.pub", test::operator_key + "\n");
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", (dir / "unpinned.qcow2").string(), "64M"});
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", (dir / "unpinned.qcow2").string(),
               (dir / "top.qcow2").string()});
  local_node_recipe(dir, dir / "top.qcow2");
  ProcessResult r = bake(
      {"node", "--recipes", (dir / "recipes").string(), "--ssh-key", key.string(), "--out", (dir / "out").string()});
  CHECK(r.exit_status == 2);
  CHECK(r.err.find("base image " + (dir / "top.qcow2").string() + " has a backing file (" +
                   (dir / "unpinned.qcow2").string() +
                   "): its content is not all in the file whose digest is pinned") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out/node.qcow2"));
  for (const auto& entry : fs::directory_iterator(dir / "out"))
    CHECK_MESSAGE(entry.path().extension() == ".lock", entry.path());  // nothing else
}

TEST_CASE("bake contents and bake diff refuse an overlay: what its backing file holds is not the image's content") {
  test::TempDir dir;
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", (dir / "good.qcow2").string(), "64M"});
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", (dir / "good.qcow2").string(),
               (dir / "top.qcow2").string()});
  const std::string refusal =
      "image " + (dir / "top.qcow2").string() + " has a backing file (" + (dir / "good.qcow2").string() + ")";
  const ProcessResult contents = bake({"contents", (dir / "top.qcow2").string()});
  CHECK(contents.exit_status == 2);
  CHECK(contents.err.find(refusal) != std::string::npos);
  CHECK(contents.out.empty());
  const ProcessResult diff =
      bake({"diff", (dir / "top.qcow2").string(), dir.write("empty.mtree", "#mtree\n").string()});
  CHECK(diff.exit_status == 2);
  CHECK(diff.err.find(refusal) != std::string::npos);
  CHECK(diff.out.find("no differences") == std::string::npos);
}

TEST_CASE("an output folder without room for the bake is refused at once, naming the folder and the space needed") {
  test::TempDir dir;
  auto key = dir.write("op.pub", test::operator_key + "\n");
  dir.write("base.raw", std::string(24 << 20, 'x'));  // incompressible enough for qcow2: 24 MiB of data
  run_checked({"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", (dir / "base.raw").string(),
               (dir / "base.qcow2").string()});
  local_node_recipe(dir, dir / "base.qcow2");
  test::TmpfsMount small(dir / "small", 16 << 20);
  ProcessResult r = bake(
      {"node", "--recipes", (dir / "recipes").string(), "--ssh-key", key.string(), "--out", (dir / "small").string()});
  INFO(r.err);
  CHECK(r.exit_status == 2);
  CHECK(r.err.find("launch appliance") == std::string::npos);
  CHECK(std::regex_search(
      r.err, std::regex((dir / "small").string() +
                        " has 16.0 MiB free, but baking node needs about [0-9.]+ MiB \\(a copy of the base")));
}

TEST_CASE("bake --check says an image that does not exist is out of date and bakes nothing") {
  test::TempDir dir;
  const fs::path key = node_recipe_on_blank_base(dir);
  std::vector<std::string> args{"node",       "--recipes", (dir / "recipes").string(), "--ssh-key",
                                key.string(), "--out",     (dir / "out").string(),     "--check"};
  ProcessResult r = bake(args);
  CHECK(r.exit_status == 1);
  CHECK(r.out == (dir / "out/node.qcow2").string() + " is out of date: " + (dir / "out/node.qcow2").string() +
                     " does not exist\n");
  CHECK_FALSE(fs::exists(dir / "out"));

  // an image without a report (or with one from before fingerprints) is not trusted
  fs::create_directories(dir / "out");
  fs::copy_file(dir / "base.qcow2", dir / "out/node.qcow2");
  dir.write("out/node.report.json", "{\"name\": \"node\"}\n");
  args.push_back("--json");
  r = bake(args);
  CHECK(r.exit_status == 1);
  auto outcome = nlohmann::json::parse(r.out);
  CHECK(outcome[0]["up_to_date"] == false);
  CHECK(outcome[0]["reason"].get<std::string>().find("predates up-to-date checks") != std::string::npos);
}

TEST_CASE("a malformed SOURCE_DATE_EPOCH is refused once, before any work, with exit 2") {
  test::TempDir dir;
  const fs::path key = node_recipe_on_blank_base(dir);
  for (const char* mode : {"", "--check"}) {
    std::vector<std::string> args{"/usr/bin/env", "SOURCE_DATE_EPOCH=tomorrow", TRUSTNET_BAKE_BINARY, "node",
                                  "--recipes",    (dir / "recipes").string(),   "--ssh-key",          key.string(),
                                  "--out",        (dir / "out").string()};
    if (*mode) args.push_back(mode);
    ProcessResult r = run_process(args);
    CHECK(r.exit_status == 2);
    CHECK(r.err == "bake: SOURCE_DATE_EPOCH 'tomorrow' must be seconds since 1970 (digits only)\n");
    CHECK_FALSE(fs::exists(dir / "out"));
  }
}

TEST_CASE("a mistake on the command line is one line naming the program and the option, and exits 2") {
  ProcessResult missing = bake({"plan", "node", "--ssh-key", "/no/such/key.pub"});
  CHECK(missing.exit_status == 2);
  CHECK(missing.err == "bake: --ssh-key: File does not exist: /no/such/key.pub (see --help)\n");
  CHECK(missing.out.empty());
}

TEST_CASE("bake contents ended by a signal at any moment leaves neither its tar nor its raw copy behind") {
  test::TempDir dir;
  // A GPT disk whose one partition is the fixture's Alpine root, ext4, as the direct engine reads it.
  const fs::path tree = dir / "tree", disk = dir / "disk.raw", tmp = dir / "tmp";
  fs::create_directories(tree);
  fs::create_directories(tmp);
  run_checked({"tar", "-xzf", test::minirootfs().string(), "-C", tree.string(), "--numeric-owner"});
  run_checked({"truncate", "-s", "96M", disk.string()});
  run_checked({"sgdisk", "-n", "1:2048:0", "-t", "1:8300", disk.string()});
  run_checked({"/sbin/mke2fs", "-q", "-F", "-t", "ext4", "-d", tree.string(), (dir / "root.ext4").string(), "90M"});
  run_checked({"dd", "if=" + (dir / "root.ext4").string(), "of=" + disk.string(), "bs=1M", "seek=1", "conv=notrunc",
               "status=none"});
  const ProcessResult whole = run_process(
      {"env", "TMPDIR=" + tmp.string(), TRUSTNET_BAKE_BINARY, "contents", disk.string(), "--engine", "ext4"});
  INFO(whole.err);
  REQUIRE(whole.exit_status == 0);
  CHECK(whole.out.find("./etc/alpine-release ") != std::string::npos);
  CHECK(fs::is_empty(tmp));
  for (const int delay_ms : {0, 10, 30, 60, 100, 200}) {
    CAPTURE(delay_ms);
    test::BackgroundProcess contents(
        {"env", "TMPDIR=" + tmp.string(), TRUSTNET_BAKE_BINARY, "contents", disk.string(), "--engine", "ext4"},
        dir / "contents.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    contents.signal(SIGTERM);
    const int status = contents.wait();
    CHECK((status == 0 || status == 143 || status == 128 + SIGTERM));
    CHECK_MESSAGE(fs::is_empty(tmp), "left behind after SIGTERM at " << delay_ms << " ms");
  }
}
