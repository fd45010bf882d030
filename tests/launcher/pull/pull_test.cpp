// `launch pull` (and `launch init`'s pull of what is missing) as operators run it, against real
// servers on loopback: Debian's docker-registry with htpasswd logins and TLS from a test CA, and
// nginx serving a release folder. Releases reach them with `bake push`.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/release/release_artifact.hpp"
#include "common/transfer/registry_client.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "launcher/instance/golden_image.hpp"
#include "support/checkout_config.hpp"
#include "support/http_server.hpp"
#include "support/oci_registry_server.hpp"
#include "support/release_folder.hpp"
#include "support/run_user.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

ProcessResult run(std::vector<std::string> argv) { return run_process(argv); }

// The checkout's configuration with remote images and a `pull:` section.
fs::path remote_config(const test::TempDir& dir, const std::string& node_image, const std::string& registry_image,
                       const std::string& pull, const std::optional<fs::path>& trusted_key) {
  std::string text = read_text_file(test::checkout_config_in(dir));
  text = std::regex_replace(text, std::regex("image: .*/out/node.qcow2"), "image: " + node_image);
  text = std::regex_replace(text, std::regex("image: .*/out/registry.qcow2"), "image: " + registry_image);
  std::string top;
  if (trusted_key) top += "trusted_key: " + trusted_key->string() + "\n";
  top += pull;
  text = std::regex_replace(text, std::regex("\ninstances:"), "\n" + top + "\ninstances:");
  // The cache outside the state folder is the run user's, as an operator would prepare it.
  fs::create_directories(dir / "host-cache");
  test::give_to_run_user(dir / "host-cache");
  return dir.write("remote.yaml", text);
}

fs::path credentials(const test::TempDir& dir) {
  const fs::path file = dir.write("registry.credentials", "pusher:" + test::OciRegistryServer::password() + "\n");
  ::chmod(file.c_str(), 0600);
  return file;
}

ProcessResult push(const test::TempDir& dir, const test::OciRegistryServer& registry, const std::string& tag) {
  return run({TRUSTNET_BAKE_BINARY, "push", "all", "--release", (dir / "release").string(), "--pubkey",
              (dir / "release.key.pub").string(), "--to", "oci://" + registry.host() + "/trustnet:" + tag, "--ca",
              registry.ca_file().string(), "--credentials", credentials(dir).string(), "--json", "-q"});
}

std::string pull_section(const test::TempDir& dir, const fs::path& ca) {
  return "pull:\n  cache: " + (dir / "host-cache").string() +
         "\n  credentials: " + (dir / "registry.credentials").string() + "\n  ca: " + ca.string() + "\n";
}

// Both releases signed and pushed under `tag`, and a configuration that pulls them with a login.
struct Published {
  test::TestRelease node;
  std::string base;  // oci://HOST/trustnet/
  fs::path config;
};
Published publish(const test::TempDir& dir, const test::OciRegistryServer& registry, const std::string& tag) {
  const test::TestRelease node = test::make_test_release(dir / "release", "node", dir / "release.key");
  test::make_test_release(dir / "release", "registry", dir / "release.key", 1 << 20, 2);
  REQUIRE(push(dir, registry, tag).exit_status == 0);
  const std::string base = "oci://" + registry.host() + "/trustnet/";
  return {node, base,
          remote_config(dir, base + "node:" + tag, base + "registry:" + tag, pull_section(dir, registry.ca_file()),
                        node.public_key)};
}

}  // namespace

TEST_CASE("launch pull takes releases from a registry with a login and TLS, verified, and reports a tag that moved") {
  test::TempDir dir;
  test::OciRegistryServer registry;
  const test::TestRelease node = test::make_test_release(dir / "release", "node", dir / "release.key");
  const test::TestRelease reg = test::make_test_release(dir / "release", "registry", dir / "release.key", 1 << 20, 2);
  const ProcessResult pushed = push(dir, registry, "1.0");
  INFO(pushed.err);
  REQUIRE(pushed.exit_status == 0);
  const std::string node_digest = json::parse(pushed.out)[0]["digest"];
  const std::string base = "oci://" + registry.host() + "/trustnet/";
  const fs::path config = remote_config(dir, base + "node:1.0", base + "registry:1.0",
                                        pull_section(dir, registry.ca_file()), node.public_key);

  // init pulls what is missing, verifies it, and records the pulled image as the golden image.
  const ProcessResult init = run({TRUSTNET_LAUNCH_BINARY, "init", "--config", config.string(), "--json"});
  INFO(init.err);
  REQUIRE(init.exit_status == 0);
  const json golden = json::parse(init.out)["golden_images"];
  CHECK(golden["node"]["image"] == (dir / "vms/node/release/node.qcow2").string());
  CHECK(golden["node"]["sha256"] == sha256_file(node.folder / "node.qcow2"));
  CHECK(read_text_file(dir / "vms/registry/release/registry.qcow2") == read_text_file(reg.folder / "registry.qcow2"));
  // The cache holds each file once, by digest, read-only; the cache's release folder is made of
  // links to it, the instance's release is a verified copy of its own (no file of the cache,
  // which something else might rewrite, is the golden image).
  const fs::path entry = dir / "host-cache/sha256" / sha256_file(node.folder / "node.qcow2");
  CHECK((fs::status(entry).permissions() & fs::perms::owner_write) == fs::perms::none);
  CHECK(fs::hard_link_count(entry) == 2);
  CHECK(fs::hard_link_count(dir / "vms/node/release/node.qcow2") == 1);

  // status --json says which release each instance runs.
  const ProcessResult status = run({TRUSTNET_LAUNCH_BINARY, "status", "--config", config.string(), "--json"});
  REQUIRE(status.exit_status == 0);
  const json release = json::parse(status.out)[0]["release"];
  CHECK(release["source"] == base + "node:1.0");
  CHECK(release["digest"] == node_digest);
  CHECK(release["appliance"] == "node");
  CHECK(release["build_time"] == "2026-11-27T00:00:00Z");

  // Pulled again: nothing is downloaded, nothing changed.
  const ProcessResult again = run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--config", config.string(), "--json"});
  INFO(again.err);
  REQUIRE(again.exit_status == 0);
  CHECK(json::parse(again.out)[0]["bytes_downloaded"] == 0);
  CHECK(json::parse(again.out)[0]["updated"] == false);

  // A new release under the same tag: the pull reports an update, and init sees the new image.
  test::make_test_release(dir / "release2", "node", dir / "release.key", 2 << 20, 3);
  const ProcessResult repushed =
      run({TRUSTNET_BAKE_BINARY, "push", "node", "--release", (dir / "release2").string(), "--pubkey",
           (dir / "release.key.pub").string(), "--to", "oci://" + registry.host() + "/trustnet:1.0", "--ca",
           registry.ca_file().string(), "--credentials", (dir / "registry.credentials").string(), "--json", "-q"});
  REQUIRE(repushed.exit_status == 0);
  const ProcessResult moved = run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--config", config.string()});
  INFO(moved.err);
  REQUIRE(moved.exit_status == 0);
  CHECK(moved.out.find("node: update: " + base + "node:1.0 moved from " + node_digest + " to sha256:") !=
        std::string::npos);
  CHECK(fs::exists(json::parse(again.out)[0]["folder"].get<std::string>()));  // the old release stays for its disks
  // Until the operator upgrades the instance, a start refuses the new image rather than boot a disk
  // made from the old one on it.
  const launcher::LaunchConfig loaded = launcher::load_launch_config(config);
  CHECK_THROWS_WITH_AS(launcher::verify_golden_image(loaded.state_dir, loaded.instances[0], loaded.trusted_key),
                       doctest::Contains("`launch upgrade node` moves the instance onto it"), Error);
}

TEST_CASE("launch pull refuses an altered layer by its digest and a release signed by another key by its signature") {
  test::TempDir dir;
  test::OciRegistryServer registry;
  const test::TestRelease node = test::make_test_release(dir / "release", "node", dir / "release.key");
  REQUIRE(push(dir, registry, "good").exit_status == 0);
  const std::string base = "oci://" + registry.host() + "/trustnet/node:";

  auto pull_tag = [&](const std::string& tag) {
    const fs::path config =
        remote_config(dir, base + tag, base + "good", pull_section(dir, registry.ca_file()), node.public_key);
    return run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--config", config.string()});
  };

  // A manifest whose image layer names another blob (one the registry has: the listing).
  RegistryClient client(parse_oci_reference(base + "good").value,
                        {{registry.ca_file()}, RegistryCredentials{"pusher", test::OciRegistryServer::password()}, ""});
  ReleaseArtifact artifact = parse_artifact_manifest(client.get_manifest("good", kOciManifestType).bytes, "test");
  std::string listing_digest;
  for (const auto& file : artifact.files)
    if (file.name == "node.mtree") listing_digest = file.digest;
  for (auto& file : artifact.files)
    if (file.name == "node.qcow2") file.digest = listing_digest;
  client.put_manifest(artifact_manifest(artifact), kOciManifestType, "swapped");
  const ProcessResult swapped = pull_tag("swapped");
  CHECK(swapped.exit_status != 0);
  CHECK(swapped.err.find("layer node.qcow2 has digest " + listing_digest +
                         ", but the signed manifest says sha256:" + sha256_file(node.folder / "node.qcow2") +
                         ": the registry's manifest was altered") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "vms/node/release"));

  // The image's blob altered in the registry's storage: refused when its bytes do not hash to the pin.
  const std::string image_sha = sha256_file(node.folder / "node.qcow2");
  const fs::path blob =
      registry.storage() / "docker/registry/v2/blobs/sha256" / image_sha.substr(0, 2) / image_sha / "data";
  REQUIRE(fs::exists(blob));
  {
    std::fstream data(blob, std::ios::in | std::ios::out | std::ios::binary);
    data.seekp(100000);
    data.write("tampered", 8);
  }
  const ProcessResult tampered = pull_tag("good");
  CHECK(tampered.exit_status != 0);
  CHECK(tampered.err.find("pins " + image_sha + "; nothing was cached") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "host-cache/sha256" / image_sha));
  CHECK_FALSE(fs::exists(dir / "vms/node/release"));

  // A release signed by another key: refused before the image is downloaded.
  test::make_test_release(dir / "other", "node", dir / "other.key", 1 << 20, 9);
  REQUIRE(run({TRUSTNET_BAKE_BINARY, "push", "node", "--release", (dir / "other").string(), "--pubkey",
               (dir / "other.key.pub").string(), "--to", "oci://" + registry.host() + "/trustnet:other", "--ca",
               registry.ca_file().string(), "--credentials", (dir / "registry.credentials").string(), "-q"})
              .exit_status == 0);
  registry.requests();
  const ProcessResult other = pull_tag("other");
  CHECK(other.exit_status != 0);
  CHECK(other.err.find("node.manifest.json is signed by another key (SHA256:") != std::string::npos);
  const std::string other_image = sha256_file(dir / "other/node/node.qcow2");
  for (const std::string& request : registry.requests()) CHECK(request.find(other_image) == std::string::npos);
}

TEST_CASE("a remote image needs trusted_key and a registry that wants a login says so when it gets none") {
  test::TempDir dir;
  test::OciRegistryServer registry;
  const std::string base = "oci://" + registry.host() + "/trustnet/";
  const fs::path unsigned_config = remote_config(dir, base + "node:1", base + "registry:1", "", std::nullopt);
  const ProcessResult no_key = run({TRUSTNET_LAUNCH_BINARY, "pull", "--config", unsigned_config.string()});
  CHECK(no_key.exit_status == 2);
  CHECK(no_key.err.find("the image of node is remote (" + base + "node:1): set trusted_key") != std::string::npos);

  test::make_signing_key(dir / "release.key");
  const fs::path config =
      remote_config(dir, base + "node:1", base + "registry:1", "pull:\n  ca: " + registry.ca_file().string() + "\n",
                    fs::path(dir / "release.key.pub"));
  const ProcessResult anonymous = run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--config", config.string()});
  CHECK(anonymous.exit_status == 2);
  CHECK(anonymous.err.find("registry " + registry.host() +
                           " requires a login to read trustnet/node, and no "
                           "credentials were given (set pull.credentials") != std::string::npos);
  CHECK(std::count(anonymous.err.begin(), anonymous.err.end(), '\n') == 1);
}

TEST_CASE("launch pull from a web folder verifies the release and resumes a partial image with a Range request") {
  test::TempDir dir;
  const test::TestRelease node = test::make_test_release(dir / "release", "node", dir / "release.key", 4 << 20);
  test::make_test_release(dir / "release", "registry", dir / "release.key", 1 << 20, 2);
  REQUIRE(run({TRUSTNET_BAKE_BINARY, "push", "all", "--release", (dir / "release").string(), "--pubkey",
               (dir / "release.key.pub").string(), "--to", "file://" + (dir / "site").string(), "-q"})
              .exit_status == 0);
  // The registry's release is served under the signature name of releases made before minisign's.
  fs::rename(dir / "site/registry/registry.manifest.json.minisig", dir / "site/registry/registry.manifest.json.sig");
  const launcher::PemPair ca = launcher::create_certificate_authority("TrustNet CA test", 2);
  const launcher::PemPair tls = launcher::issue_server_certificate(ca, {"web", {"localhost"}, {"127.0.0.1"}}, 2);
  const fs::path ca_file = dir.write("ca.crt", ca.certificate);
  test::HttpServer web(dir / "site", dir / "nginx",
                       test::TlsFiles{dir.write("web.crt", tls.certificate), dir.write("web.key", tls.private_key)});
  const fs::path config = remote_config(
      dir, web.https_url("/files/node/"), web.https_url("/files/registry"),
      "pull:\n  cache: " + (dir / "host-cache").string() + "\n  ca: " + ca_file.string() + "\n", node.public_key);

  // Half the image arrived before an interruption.
  const std::string image_sha = sha256_file(node.folder / "node.qcow2");
  const std::string image = read_text_file(node.folder / "node.qcow2");
  fs::create_directories(dir / "host-cache/partial");
  std::ofstream(dir / "host-cache/partial" / (image_sha + ".part"), std::ios::binary)
      << image.substr(0, image.size() / 2);
  test::give_to_run_user(dir / "host-cache");

  const ProcessResult pulled = run({TRUSTNET_LAUNCH_BINARY, "pull", "--config", config.string(), "--json"});
  INFO(pulled.err);
  REQUIRE(pulled.exit_status == 0);
  const json out = json::parse(pulled.out);
  CHECK(out[0]["digest"] == "sha256:" + sha256_file(node.folder / "node.manifest.json"));
  CHECK(read_text_file(dir / "vms/node/release/node.qcow2") == image);
  bool resumed = false, older_form_asked_second = false;
  for (const std::string& line : web.log()) {
    if (line.starts_with("/files/node/node.qcow2 206 \"bytes=" + std::to_string(image.size() / 2) + "-\""))
      resumed = true;
    if (line.starts_with("/files/registry/registry.manifest.json.minisig 404")) older_form_asked_second = true;
  }
  CHECK(resumed);
  // The node's .minisig was taken, the registry's .sig after its .minisig was not found.
  CHECK(fs::exists(dir / "vms/node/release/node.manifest.json.minisig"));
  CHECK(older_form_asked_second);
  CHECK(fs::exists(dir / "vms/registry/release/registry.manifest.json.sig"));
}

TEST_CASE("launch pull refuses a tag moved back to an older signed release unless told, and waits its turn") {
  test::TempDir dir;
  test::OciRegistryServer registry;
  const auto [node, base, config] = publish(dir, registry, "stable");
  const ProcessResult first = run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--config", config.string()});
  INFO(first.err);
  REQUIRE(first.exit_status == 0);
  const std::string pulled_image = read_text_file(dir / "vms/node/release/node.qcow2");

  // An older release, validly signed, under the same tag: a rollback the operator did not ask for.
  test::make_test_release(dir / "old", "node", dir / "release.key", 1 << 20, 5, "2026-10-01T00:00:00Z");
  REQUIRE(run({TRUSTNET_BAKE_BINARY, "push", "node", "--release", (dir / "old").string(), "--pubkey",
               (dir / "release.key.pub").string(), "--to", "oci://" + registry.host() + "/trustnet:stable", "--ca",
               registry.ca_file().string(), "--credentials", (dir / "registry.credentials").string(), "-q"})
              .exit_status == 0);
  const ProcessResult downgrade = run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--config", config.string()});
  CHECK(downgrade.exit_status == 2);
  CHECK(downgrade.err.find("node: " + base +
                           "node:stable now names a release built 2026-10-01T00:00:00Z, before the one node has "
                           "(built 2026-11-27T00:00:00Z): a downgrade; pass --allow-downgrade to take it") !=
        std::string::npos);
  CHECK(read_text_file(dir / "vms/node/release/node.qcow2") == pulled_image);

  // While another command holds the state folder, a pull waits its turn: it is refused, naming it.
  {
    const auto held = FileLock::try_acquire(dir / "vms/.lock", "launch init");
    REQUIRE(held);
    const ProcessResult busy =
        run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--allow-downgrade", "--config", config.string()});
    CHECK(busy.exit_status == 1);
    CHECK(busy.err.find((dir / "vms").string() + " is busy: launch init (pid " + std::to_string(::getpid()) +
                        ") is running") != std::string::npos);
    CHECK(read_text_file(dir / "vms/node/release/node.qcow2") == pulled_image);
  }

  const ProcessResult allowed =
      run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--allow-downgrade", "--config", config.string()});
  INFO(allowed.err);
  CHECK(allowed.exit_status == 0);
  CHECK(read_text_file(dir / "vms/node/release/node.qcow2") == read_text_file(dir / "old/node/node.qcow2"));
}

TEST_CASE("a pull cache another user prepared, or a cached release altered since, is never used") {
  test::TempDir dir;
  test::OciRegistryServer registry;
  const auto [node, base, config] = publish(dir, registry, "1");
  REQUIRE(run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--config", config.string()}).exit_status == 0);
  fs::remove_all(dir / "vms/node/release");
  fs::remove(dir / "vms/node/pulled.json");

  // The cached release folder's image rewritten in place: verified again, and refused.
  const fs::path cached = dir / "host-cache/releases" / sha256_file(node.folder / "node.manifest.json");
  REQUIRE(fs::is_directory(cached));
  {
    std::fstream image(cached / "node.qcow2", std::ios::in | std::ios::out | std::ios::binary);
    image.seekp(4096);
    image.write("planted", 7);
  }
  const ProcessResult altered = run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--config", config.string()});
  CHECK(altered.exit_status != 0);
  CHECK(altered.err.find("the cached release " + cached.string()) != std::string::npos);
  CHECK(altered.err.find("node.qcow2") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "vms/node/release"));

  // A cache folder that is another user's: refused before anything in it is read.
  REQUIRE(::chown((dir / "host-cache/releases").c_str(), 65534, 65534) == 0);
  const ProcessResult foreign = run({TRUSTNET_LAUNCH_BINARY, "pull", "node", "--config", config.string()});
  CHECK(foreign.exit_status == 2);
  CHECK(foreign.err.find((dir / "host-cache/releases").string() + " is owned by uid 65534") != std::string::npos);
  CHECK(foreign.err.find("a cache of verified downloads must be yours alone") != std::string::npos);
}

TEST_CASE("plain HTTP web folders are pulled anonymously, and never with pull.credentials") {
  test::TempDir dir;
  const test::TestRelease node = test::make_test_release(dir / "release", "node", dir / "release.key", 1 << 20);
  test::make_test_release(dir / "release", "registry", dir / "release.key", 1 << 20, 2);
  REQUIRE(run({TRUSTNET_BAKE_BINARY, "push", "all", "--release", (dir / "release").string(), "--pubkey",
               (dir / "release.key.pub").string(), "--to", "file://" + (dir / "site").string(), "-q"})
              .exit_status == 0);
  test::HttpServer web(dir / "site", dir / "nginx");
  const fs::path config = remote_config(dir, web.url("/files/node/"), web.url("/files/registry/"),
                                        "pull:\n  cache: " + (dir / "host-cache").string() + "\n", node.public_key);
  const ProcessResult pulled = run({TRUSTNET_LAUNCH_BINARY, "pull", "--config", config.string()});
  INFO(pulled.err);
  CHECK(pulled.exit_status == 0);
  CHECK(read_text_file(dir / "vms/node/release/node.qcow2") == read_text_file(node.folder / "node.qcow2"));

  credentials(dir);
  const fs::path with_login =
      remote_config(dir, web.url("/files/node/"), web.url("/files/registry/"),
                    "pull:\n  credentials: " + (dir / "registry.credentials").string() + "\n", node.public_key);
  const ProcessResult refused = run({TRUSTNET_LAUNCH_BINARY, "pull", "--config", with_login.string()});
  CHECK(refused.exit_status == 2);
  CHECK(refused.err.find(with_login.string() + ":") != std::string::npos);
  CHECK(refused.err.find("the image of node is plain HTTP (" + web.url("/files/node/") +
                         ") and pull.credentials is set: credentials travel only over https://") != std::string::npos);
}
