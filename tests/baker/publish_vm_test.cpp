// Publishes the shared golden images as signed release folders, verifies them, and tampers with
// copies; lists the compressed images with libguestfs; compares the two appliances, and two bakes
// of one recipe.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include "baked_images.hpp"
#include "common/util/kvm_check.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/test_paths.hpp"
#include "support/text_lines.hpp"

using namespace trustnet;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path run_dir() { return test::test_data_dir() / "publish-run"; }

ProcessResult bake(std::vector<std::string> args) {
  args.insert(args.begin(), TRUSTNET_BAKE_BINARY);
  return run_process(args);
}

struct Published {
  fs::path key, pub, release;
  ProcessResult publish;
};

const Published& published() {
  static const Published result = [] {
    const test::Baked& baked = test::baked_images();
    fs::remove_all(run_dir());
    fs::create_directories(run_dir());
    Published p{run_dir() / "release.key", run_dir() / "release.key.pub", run_dir() / "release", {}};
    run_checked({TRUSTNET_BAKE_BINARY, "keygen", p.key.string()});
    p.publish = run_process({"/usr/bin/env", "SOURCE_DATE_EPOCH=1767225600", TRUSTNET_BAKE_BINARY, "publish", "node",
                             "registry", "--key", p.key.string(), "--out", baked.out.string(), "--release",
                             p.release.string(), "--json"});
    return p;
  }();
  return result;
}

// A copy of the node release to damage.
fs::path copy_release(const std::string& name) {
  const fs::path copy = run_dir() / "tampered" / name;
  fs::remove_all(copy);
  fs::create_directories(copy.parent_path());
  fs::copy(published().release / "node", copy);
  return copy;
}

void flip_byte(const fs::path& file, size_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x01));
}

// Runs `command` on a terminal of its own (`script` gives it one), typing `lines` into it a second
// apart: minisign and bake ask a key's password there. The command's shell writes its exit status
// to a file (script's own does not always carry it); the typing stops when that file appears, and
// script, at the end of its input, ends.
ProcessResult on_a_terminal(const std::string& command, const std::vector<std::string>& lines) {
  const fs::path status = run_dir() / "terminal.status";
  fs::remove(status);
  std::string feed;
  for (const auto& line : lines) feed += "sleep 1; printf '%s\\n' " + shell_quote(line) + "; ";
  feed += "for i in $(seq 240); do [ -e " + shell_quote(status.string()) + " ] && break; sleep 0.5; done";
  ProcessResult result =
      run_process({"bash", "-c",
                   "(" + feed + ") | script -qc " +
                       shell_quote(command + "; echo $? > " + shell_quote(status.string())) + " /dev/null"});
  result.exit_status = fs::exists(status) ? std::stoi(read_text_file(status)) : -1;
  return result;
}

std::string verify_error(const fs::path& release, const fs::path& pub) {
  ProcessResult r = bake({"verify", release.string(), "--pubkey", pub.string()});
  CHECK(r.exit_status != 0);
  return r.err;
}

}  // namespace

TEST_CASE("bake publish writes a signed, compressed release per appliance that bake verify and sha256sum accept") {
  const Published& p = published();
  INFO(p.publish.err);
  REQUIRE(p.publish.exit_status == 0);
  const json outcome = json::parse(p.publish.out);
  REQUIRE(outcome.size() == 2);
  for (const char* name : {"node", "registry"}) {
    CAPTURE(name);
    const fs::path folder = p.release / name;
    std::set<std::string> files;
    for (const auto& entry : fs::directory_iterator(folder)) files.insert(entry.path().filename().string());
    CHECK(files == std::set<std::string>{fmt::format("{}.qcow2", name), fmt::format("{}.mtree", name),
                                         fmt::format("{}.manifest.json", name),
                                         fmt::format("{}.manifest.json.minisig", name), "SHA256SUMS"});
    CHECK(run_process({"sh", "-c", "cd '" + folder.string() + "' && sha256sum -c --quiet SHA256SUMS"}).exit_status ==
          0);
    ProcessResult verified = bake({"verify", folder.string(), "--pubkey", p.pub.string(), "--json"});
    INFO(verified.err);
    CHECK(verified.exit_status == 0);
    CHECK(json::parse(verified.out)["appliance"] == name);

    const json manifest = json::parse(read_text_file(folder / fmt::format("{}.manifest.json", name)));
    CHECK(manifest["build_time"] == "2026-01-01T00:00:00Z");  // SOURCE_DATE_EPOCH
    CHECK(manifest["image"]["compression"] == "zstd");
    CHECK(manifest["golden_image"]["sha256"] == sha256_file(test::baked_images().out / fmt::format("{}.qcow2", name)));
    CHECK(manifest["base"]["sha256"] == test::baked_images().base_sha256_before);
    CHECK(manifest["recipe"]["sha256"].get<std::string>().size() == 64);
    CHECK(manifest["tool"]["name"] == "bake");
    CHECK(manifest["contents"]["entries"].get<int>() > 400);
    CHECK(json::parse(run_checked(
              {"qemu-img", "info", "--output=json",
               (folder / fmt::format("{}.qcow2", name)).string()}))["format-specific"]["data"]["compression-type"] ==
          "zstd");
    CHECK(fs::file_size(folder / fmt::format("{}.qcow2", name)) <
          fs::file_size(test::baked_images().out / fmt::format("{}.qcow2", name)));
  }
  const json node = json::parse(read_text_file(p.release / "node/node.manifest.json"));
  REQUIRE(node["inputs"].size() == 1);
  CHECK(node["inputs"][0]["name"] == "tendermint");
  CHECK(node["inputs"][0]["url"].get<std::string>().ends_with("/files/cometbft.tar.gz"));
  CHECK(node["inputs"][0]["sha256"] == sha256_file(test::test_data_dir() / "vm-run/inputs/cometbft.tar.gz"));
  // minisign agrees with the signature, as a host without bake checks it; its trusted comment
  // carries the build time.
  for (const char* name : {"node", "registry"}) {
    const ProcessResult minisign = run_process(
        {"minisign", "-Vm", (p.release / name / fmt::format("{}.manifest.json", name)).string(), "-p", p.pub.string()});
    CHECK_MESSAGE(minisign.exit_status == 0, minisign.err);
    CHECK(minisign.out.find(fmt::format("Trusted comment: timestamp:1767225600\tfile:{}.manifest.json\thashed",
                                        name)) != std::string::npos);
  }
}

TEST_CASE("a password-protected key minisign -G made signs a release; the password is asked on the terminal") {
  const Published& p = published();
  REQUIRE(p.publish.exit_status == 0);
  const fs::path key = run_dir() / "protected.key", pub = run_dir() / "protected.pub";
  const ProcessResult made = on_a_terminal(command_line({"minisign", "-G", "-p", pub.string(), "-s", key.string()}),
                                           {"release-password", "release-password"});
  INFO(made.out);
  REQUIRE(fs::exists(key));
  CHECK(read_text_file(key).starts_with("untrusted comment: minisign encrypted secret key\n"));
  const fs::path release = run_dir() / "protected-release";
  const auto publish = [&](const std::string& name) {
    return command_line({TRUSTNET_BAKE_BINARY, "publish", name, "--key", key.string(), "--out",
                         test::baked_images().out.string(), "--release", release.string()});
  };
  const ProcessResult published_with_password = on_a_terminal(publish("node"), {"release-password"});
  INFO(published_with_password.out);
  REQUIRE(published_with_password.exit_status == 0);
  CHECK(published_with_password.out.find("Password for " + key.string() + ": ") != std::string::npos);
  CHECK(run_process({"minisign", "-Vm", (release / "node/node.manifest.json").string(), "-p", pub.string()})
            .exit_status == 0);
  CHECK(bake({"verify", (release / "node").string(), "--pubkey", pub.string()}).exit_status == 0);
  // A wrong password is said so, and nothing is published.
  const ProcessResult refused = on_a_terminal(publish("registry"), {"not-it"});
  CHECK(refused.exit_status == 2);
  CHECK(refused.out.find(key.string() + ": wrong password (the key's checksum does not match)") != std::string::npos);
  CHECK_FALSE(fs::exists(release / "registry"));
}

TEST_CASE(
    "bake verify refuses a flipped byte in the image, manifest or signature, another signer, and a missing file, each "
    "in its own words") {
  const Published& p = published();
  REQUIRE(p.publish.exit_status == 0);
  const fs::path image = copy_release("image");
  flip_byte(image / "node.qcow2", fs::file_size(image / "node.qcow2") / 2);
  CHECK(verify_error(image, p.pub).find("node.qcow2 has sha256 ") != std::string::npos);
  CHECK(verify_error(image, p.pub).find("but the signed manifest says") != std::string::npos);

  const fs::path manifest = copy_release("manifest");
  flip_byte(manifest / "node.manifest.json", 40);
  CHECK(verify_error(manifest, p.pub).find("node.manifest.json does not match SHA256SUMS: the manifest was altered") !=
        std::string::npos);

  const fs::path signature = copy_release("signature");
  // A byte of the signature itself (its second line: base64 of "Ed", the 8-byte key id, then the
  // 64-byte signature; the 21st character lies in the signature), not of the comment above it,
  // which is not signed, nor of the key id, which would name another key.
  const std::string signed_text = read_text_file(signature / "node.manifest.json.minisig");
  flip_byte(signature / "node.manifest.json.minisig", signed_text.find('\n') + 21);
  CHECK(verify_error(signature, p.pub).find("the signature node.manifest.json.minisig does not verify with SHA256:") !=
        std::string::npos);

  // A release signed with another key is refused by this key's holders.
  run_checked({TRUSTNET_BAKE_BINARY, "keygen", (run_dir() / "other.key").string()});
  CHECK(verify_error(p.release / "node", run_dir() / "other.key.pub").find("is signed by another key (SHA256:") !=
        std::string::npos);

  const fs::path missing = copy_release("missing");
  fs::remove(missing / "node.mtree");
  CHECK(verify_error(missing, p.pub).find("node.mtree is missing") != std::string::npos);
  const fs::path no_sums = copy_release("no-sums");
  fs::remove(no_sums / "SHA256SUMS");
  CHECK(verify_error(no_sums, p.pub).find("SHA256SUMS is missing") != std::string::npos);
}

TEST_CASE(
    "the compressed release image holds the same files as the golden image, and bake diff tells the appliances apart") {
  const Published& p = published();
  REQUIRE(p.publish.exit_status == 0);
  const test::Baked& baked = test::baked_images();
  // Read back with libguestfs from the compressed image: the listing of the bake, byte for byte.
  // The golden images' listings were derived (base listing + the bake's edits), not read.
  for (const char* name : {"node", "registry"}) {
    ProcessResult contents =
        bake({"contents", (p.release / name / (std::string(name) + ".qcow2")).string(), "--accel", "tcg"});
    CAPTURE(name);
    INFO(contents.err);
    REQUIRE(contents.exit_status == 0);
    CHECK(contents.out == read_text_file(baked.out / (std::string(name) + ".mtree")));
  }

  ProcessResult diff = bake({"diff", (p.release / "node/node.manifest.json").string(),
                             (p.release / "registry/registry.manifest.json").string()});
  REQUIRE(diff.exit_status == 0);
  for (const char* line :
       {"added   /usr/local/bin/registry\n", "added   /usr/local/bin/caddy\n",
        "added   /etc/trustnet-registry/config.yml\n", "added   /home/keeper/.ssh/authorized_keys\n",
        "removed /usr/local/bin/tendermint\n", "removed /opt/trustnet/node/config\n",
        "changed /etc/hostname: content, size 14 -> 18\n", "changed /etc/passwd: content",
        "changed /etc/network/interfaces: content\n", "changed /etc/trustnet/state-folders: content"})
    CHECK_MESSAGE(diff.out.find(line) != std::string::npos, line);
  CHECK(diff.out.find("/etc/motd") == std::string::npos);  // the common overlay is common
  CHECK_MESSAGE(diff.out.ends_with("20 added, 13 removed, 8 changed\n"), diff.out);
  const json as_json = json::parse(
      bake({"diff", (baked.out / "node.mtree").string(), (baked.out / "registry.mtree").string(), "--json"}).out);
  CHECK(as_json["added"].size() > 5);
}

TEST_CASE("two bakes of one recipe from the same inputs have the same content listing") {
  const test::Baked& baked = test::baked_images();
  const fs::path again = run_dir() / "rebake";
  ProcessResult rebake =
      run_process({"/usr/bin/env", "SOURCE_DATE_EPOCH=1767225600", TRUSTNET_BAKE_BINARY, "node", "--recipes",
                   (test::source_dir() / "recipes").string(), "--override", baked.node_override.string(), "--ssh-key",
                   (test::test_data_dir() / "vm-run/inputs/operator.pub").string(), "--out", again.string(), "--cache",
                   baked.cache.string(), "--accel", "tcg", "-q"});
  INFO(rebake.err);
  REQUIRE(rebake.exit_status == 0);
  ProcessResult diff = bake({"diff", (baked.out / "node.mtree").string(), (again / "node.mtree").string()});
  CHECK(diff.out == "no differences\n");
  // SOURCE_DATE_EPOCH: what the bake wrote carries that time; the base's own files keep theirs.
  const std::string times = run_checked_with_env(
      {"guestfish", "--ro", "-a", (again / "node.qcow2").string(), "-m", "/dev/sda2", "lstatns",
       "/usr/local/bin/tendermint", ":", "lstatns", "/etc/hostname", ":", "lstatns", "/bin/busybox"},
      {{"LIBGUESTFS_BACKEND_SETTINGS", host_kvm().works ? "" : "force_tcg"}});
  CHECK(test::lines_starting(times, "st_mtime_sec: ") ==
        std::vector<std::string>{"st_mtime_sec: 1767225600", "st_mtime_sec: 1767225600", "st_mtime_sec: 1718003507"});
  // An image against a listing: the image is opened with libguestfs.
  ProcessResult against_image =
      bake({"diff", (again / "node.qcow2").string(), (baked.out / "node.mtree").string(), "--accel", "tcg"});
  INFO(against_image.err);
  CHECK(against_image.out == "no differences\n");
}

TEST_CASE("with a trusted key, the launcher accepts only images of releases that verify with it") {
  const Published& p = published();
  REQUIRE(p.publish.exit_status == 0);
  auto config_for = [&](const std::string& file, const fs::path& image, const fs::path& key) {
    const fs::path config = run_dir() / file;
    std::ofstream(config) << fmt::format(
        "network:\n  chain_id: trustnet-release\nbridge:\n  name: tnbr0\n  address: fd10:1234::fe/32\n"
        "state: {}\ntrusted_key: {}\ninstances:\n  node:\n    role: node\n    image: {}\n"
        "    hostname: trustnet-node\n    address: fd10:1234::1\n    memory: 1G\n    disk: 50G\n",
        (run_dir() / ("vms-" + file)).string(), key.string(), image.string());
    return config;
  };
  ProcessResult good = run_process({TRUSTNET_LAUNCH_BINARY, "init", "--config",
                                    config_for("good.yaml", p.release / "node/node.qcow2", p.pub).string()});
  INFO(good.err);
  CHECK(good.exit_status == 0);

  const fs::path tampered = copy_release("launcher");
  flip_byte(tampered / "node.qcow2", fs::file_size(tampered / "node.qcow2") / 3);
  ProcessResult bad = run_process(
      {TRUSTNET_LAUNCH_BINARY, "init", "--config", config_for("bad.yaml", tampered / "node.qcow2", p.pub).string()});
  CHECK(bad.exit_status == 2);
  CHECK(bad.err.find("node: image " + (tampered / "node.qcow2").string() +
                     " fails release verification with the trusted key") != std::string::npos);
  CHECK(bad.err.find("the file was altered") != std::string::npos);

  fs::remove(run_dir() / "launcher-other.key");
  fs::remove(run_dir() / "launcher-other.key.pub");
  run_checked({TRUSTNET_BAKE_BINARY, "keygen", (run_dir() / "launcher-other.key").string()});
  ProcessResult other = run_process(
      {TRUSTNET_LAUNCH_BINARY, "init", "--config",
       config_for("other.yaml", p.release / "node/node.qcow2", run_dir() / "launcher-other.key.pub").string()});
  CHECK(other.exit_status == 2);
  CHECK(other.err.find("is signed by another key") != std::string::npos);

  // A golden image outside any release is refused as well.
  ProcessResult loose =
      run_process({TRUSTNET_LAUNCH_BINARY, "init", "--config",
                   config_for("loose.yaml", test::baked_images().out / "node.qcow2", p.pub).string()});
  CHECK(loose.exit_status == 2);
  CHECK(loose.err.find("fails release verification") != std::string::npos);
}
