// `bake push` as release engineers run it, against real servers on loopback: Debian's
// docker-registry with htpasswd logins and TLS from a test CA, nginx's WebDAV PUT, a folder.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "baker/output/push.hpp"
#include "common/release/release_verification.hpp"
#include "common/transfer/fetcher.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/http_server.hpp"
#include "support/oci_registry_server.hpp"
#include "support/release_folder.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path credentials_file(const test::TempDir& dir, const std::string& text, mode_t mode = 0600) {
  const fs::path file = dir / "registry.credentials";
  std::ofstream(file) << text;
  ::chmod(file.c_str(), mode);
  return file;
}

ProcessResult bake_push(const std::vector<std::string>& args) {
  std::vector<std::string> argv{TRUSTNET_BAKE_BINARY, "push"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

size_t count_of(const std::vector<std::string>& requests, const std::string& start) {
  return static_cast<size_t>(
      std::count_if(requests.begin(), requests.end(), [&](const std::string& r) { return r.starts_with(start); }));
}

}  // namespace

TEST_CASE("bake push sends a release to a registry as one OCI artifact and a second push sends nothing") {
  test::TempDir dir;
  test::OciRegistryServer registry;
  const test::TestRelease release = test::make_test_release(dir / "release", "node", dir / "release.key");
  const fs::path credentials = credentials_file(dir, "pusher:" + test::OciRegistryServer::password() + "\n");
  const std::vector<std::string> args{"node",
                                      "--release",
                                      (dir / "release").string(),
                                      "--pubkey",
                                      (dir / "release.key.pub").string(),
                                      "--to",
                                      "oci://" + registry.host() + "/trustnet:1.0",
                                      "--ca",
                                      registry.ca_file().string(),
                                      "--credentials",
                                      credentials.string(),
                                      "--json"};
  const ProcessResult first = bake_push(args);
  INFO(first.err);
  REQUIRE(first.exit_status == 0);
  const json pushed = json::parse(first.out).at(0);
  CHECK(pushed["destination"] == "oci://" + registry.host() + "/trustnet/node:1.0");
  CHECK(pushed["sent"] == 5);  // manifest, signature, SHA256SUMS, listing, image
  CHECK(pushed["kept"] == 0);
  const auto first_requests = registry.requests();
  CHECK(count_of(first_requests, "PUT /v2/trustnet/node/blobs/uploads/") == 6);  // and the empty config
  CHECK(count_of(first_requests, "PUT /v2/trustnet/node/manifests/1.0 201") == 1);

  // The same release again: the tag already names the same manifest, so nothing is sent.
  const ProcessResult second = bake_push(args);
  REQUIRE(second.exit_status == 0);
  const json again = json::parse(second.out).at(0);
  CHECK(again["sent"] == 0);
  CHECK(again["kept"] == 5);
  CHECK(again["digest"] == pushed["digest"]);
  const auto second_requests = registry.requests();
  CHECK(count_of(second_requests, "PUT ") == 0);
  CHECK(count_of(second_requests, "POST ") == 0);

  // A new release under a new tag sends only the files that changed: the image's blob and the
  // listing are already in the repository.
  test::make_test_release(dir / "release", "node", dir / "release.key", 3 << 20, 1, "2026-11-28T00:00:00Z");
  std::vector<std::string> retagged = args;
  *(std::find(retagged.begin(), retagged.end(), "--to") + 1) = "oci://" + registry.host() + "/trustnet:1.1";
  const ProcessResult third = bake_push(retagged);
  INFO(third.err);
  REQUIRE(third.exit_status == 0);
  CHECK(json::parse(third.out).at(0)["sent"] == 3);  // the manifest, its signature and SHA256SUMS
  CHECK(json::parse(third.out).at(0)["kept"] == 2);
}

TEST_CASE("what bake push wrote to a registry is a TrustNet artifact that skopeo reads whole") {
  if (run_process({"skopeo", "--version"}).exit_status != 0) {
    MESSAGE("skopeo is not installed: skipped");
    return;
  }
  test::TempDir dir;
  test::OciRegistryServer registry;
  const test::TestRelease release = test::make_test_release(dir / "release", "registry", dir / "release.key");
  const fs::path credentials = credentials_file(dir, "pusher:" + test::OciRegistryServer::password());
  const ProcessResult pushed =
      bake_push({"all", "--release", (dir / "release").string(), "--pubkey", (dir / "release.key.pub").string(), "--to",
                 "oci://" + registry.host() + "/tn:2", "--ca", registry.ca_file().string(), "--credentials",
                 credentials.string()});
  INFO(pushed.err);
  REQUIRE(pushed.exit_status == 0);
  CHECK(pushed.out.find("registry: oci://" + registry.host() + "/tn/registry:2@sha256:") == 0);

  fs::create_directories(dir / "certs");
  fs::copy_file(registry.ca_file(), dir / "certs/ca.crt");
  const std::string reference = "docker://" + registry.host() + "/tn/registry:2";
  const std::string creds = "pusher:" + test::OciRegistryServer::password();
  const ProcessResult raw =
      run_process({"skopeo", "inspect", "--raw", "--cert-dir", (dir / "certs").string(), "--creds", creds, reference});
  INFO(raw.err);
  REQUIRE(raw.exit_status == 0);
  const json manifest = json::parse(raw.out);
  CHECK(manifest["artifactType"] == "application/vnd.trustnet.release.v1");
  CHECK(manifest["layers"].size() == 5);

  const ProcessResult copied = run_process({"skopeo", "copy", "--src-cert-dir", (dir / "certs").string(), "--src-creds",
                                            creds, reference, "dir:" + (dir / "copy").string()});
  INFO(copied.err);
  REQUIRE(copied.exit_status == 0);
  // Every file of the release came back under its digest, byte for byte.
  for (const json& layer : manifest["layers"]) {
    const std::string name = layer["annotations"]["org.opencontainers.image.title"];
    const fs::path blob = dir / "copy" / layer["digest"].get<std::string>().substr(7);
    REQUIRE(fs::exists(blob));
    CHECK(read_text_file(blob) == read_text_file(release.folder / name));
  }
}

TEST_CASE("a registry that requires a login refuses bake push without credentials or with wrong ones, clearly") {
  test::TempDir dir;
  test::OciRegistryServer registry;
  test::make_test_release(dir / "release", "node", dir / "release.key");
  const std::vector<std::string> args{"node",
                                      "--release",
                                      (dir / "release").string(),
                                      "--pubkey",
                                      (dir / "release.key.pub").string(),
                                      "--to",
                                      "oci://" + registry.host() + "/trustnet:1.0",
                                      "--ca",
                                      registry.ca_file().string()};
  const ProcessResult anonymous = bake_push(args);
  CHECK(anonymous.exit_status == 2);
  CHECK(anonymous.err.find("registry " + registry.host() + " requires a login") != std::string::npos);
  CHECK(anonymous.err.find("--credentials FILE") != std::string::npos);
  CHECK(std::count(anonymous.err.begin(), anonymous.err.end(), '\n') == 1);

  std::vector<std::string> wrong = args;
  wrong.insert(wrong.end(), {"--credentials", credentials_file(dir, "pusher:not the password\n").string()});
  const ProcessResult refused = bake_push(wrong);
  CHECK(refused.exit_status == 2);
  CHECK(refused.err.find("refused the credentials of pusher") != std::string::npos);
  CHECK(refused.err.find("not the password") == std::string::npos);  // never quoted

  // Credentials in the environment work as well as a file.
  const ProcessResult from_environment = run_process([&] {
    std::vector<std::string> argv{"env", "TRUSTNET_REGISTRY_USERNAME=pusher",
                                  "TRUSTNET_REGISTRY_PASSWORD=" + test::OciRegistryServer::password(),
                                  TRUSTNET_BAKE_BINARY, "push"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }());
  INFO(from_environment.err);
  CHECK(from_environment.exit_status == 0);

  // A registry whose certificate no trusted CA signed is refused.
  std::vector<std::string> untrusted(args.begin(), args.end() - 2);
  const ProcessResult tls = bake_push(untrusted);
  CHECK(tls.exit_status != 0);
  CHECK(tls.err.find("certificate") != std::string::npos);
}

TEST_CASE("bake push and a pull by digest follow a registry's Bearer challenge to its token service") {
  test::TempDir dir;
  test::OciRegistryServer registry(test::OciRegistryServer::Login::token);
  const test::TestRelease release = test::make_test_release(dir / "release", "node", dir / "release.key");
  const fs::path good = credentials_file(dir, "pusher:" + test::OciRegistryServer::password() + "\n");
  const std::vector<std::string> args{"node",
                                      "--release",
                                      (dir / "release").string(),
                                      "--pubkey",
                                      (dir / "release.key.pub").string(),
                                      "--to",
                                      "oci://" + registry.host() + "/trustnet:1.0",
                                      "--ca",
                                      registry.ca_file().string()};
  std::vector<std::string> with_login = args;
  with_login.insert(with_login.end(), {"--credentials", good.string(), "--json"});
  const ProcessResult pushed = bake_push(with_login);
  INFO(pushed.err);
  REQUIRE(pushed.exit_status == 0);
  CHECK(json::parse(pushed.out).at(0)["sent"] == 5);
  // Without a login the token service refuses, and the registry's 401 is what the user hears about.
  const ProcessResult anonymous = bake_push(args);
  CHECK(anonymous.exit_status == 2);
  CHECK(anonymous.err.find("requires a login") != std::string::npos);
  std::vector<std::string> wrong = args;
  wrong.insert(wrong.end(), {"--credentials", credentials_file(dir, "pusher:guess\n").string()});
  const ProcessResult refused = bake_push(wrong);
  CHECK(refused.exit_status == 2);
  CHECK(refused.err.find("the token service of registry " + registry.host() + " refused the credentials of pusher") !=
        std::string::npos);

  // The same token reaches the blobs: pull the release back with the fetcher, by digest.
  RegistryClient client(parse_oci_reference("oci://" + registry.host() + "/trustnet/node:1.0").value,
                        {{registry.ca_file()}, RegistryCredentials{"pusher", test::OciRegistryServer::password()}, ""});
  const RegistryManifest manifest = client.get_manifest(json::parse(pushed.out).at(0)["digest"], kOciManifestType);
  CHECK(client.authorization_headers().at(0).starts_with("Authorization: Bearer "));
  const ReleaseArtifact artifact = parse_artifact_manifest(manifest.bytes, "test");
  InputCache cache(dir / "cache");
  TransferDisplay display(Verbosity::quiet, false);
  Fetcher fetcher(cache, FetchOptions{.tls = {registry.ca_file()}}, display);
  for (const ReleaseFile& file : artifact.files) {
    fetcher.fetch({file.name, client.blob_url(file.digest), file.digest.substr(7), "the manifest",
                   client.authorization_headers()});
    CHECK(read_text_file(cache.entry(file.digest.substr(7))) == read_text_file(release.folder / file.name));
  }
}

TEST_CASE("bake push refuses credentials others can read and a damaged release folder before sending anything") {
  test::TempDir dir;
  const test::TestRelease release = test::make_test_release(dir / "release", "node", dir / "release.key");
  const fs::path open = credentials_file(dir, "pusher:secret-word\n", 0644);
  const ProcessResult readable =
      bake_push({"node", "--release", (dir / "release").string(), "--pubkey", (dir / "release.key.pub").string(),
                 "--to", "file://" + (dir / "site").string(), "--credentials", open.string()});
  CHECK(readable.exit_status == 2);
  CHECK(readable.err.find("readable by others (mode 0644); chmod 600 it") != std::string::npos);
  CHECK(readable.err.find("secret-word") == std::string::npos);

  std::ofstream(release.folder / "node.qcow2", std::ios::app) << "tampered";
  const ProcessResult damaged =
      bake_push({"node", "--release", (dir / "release").string(), "--pubkey", (dir / "release.key.pub").string(),
                 "--to", "file://" + (dir / "site").string()});
  CHECK(damaged.exit_status != 0);
  CHECK(damaged.err.find("node.qcow2 does not match SHA256SUMS") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "site/node"));

  // A file in the folder that the release does not name (a link to a secret, named like a
  // signature) is refused, and nothing is sent.
  const fs::path secret = dir.write("secret", "root's secret\n");
  test::TempDir clean;
  const test::TestRelease good = test::make_test_release(clean / "release", "node", clean / "release.key");
  fs::create_symlink(secret, good.folder / "leak.sig");
  const ProcessResult leak =
      bake_push({"node", "--release", (clean / "release").string(), "--pubkey", (clean / "release.key.pub").string(),
                 "--to", "file://" + (clean / "site").string()});
  CHECK(leak.exit_status == 2);
  CHECK(leak.err.find("leak.sig is not part of the release (SHA256SUMS does not name it); remove it") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(clean / "site"));
  // Nor is a file the release names replaced by a link.
  fs::remove(good.folder / "leak.sig");
  fs::rename(good.folder / "node.mtree", clean / "node.mtree");
  fs::create_symlink(clean / "node.mtree", good.folder / "node.mtree");
  const ProcessResult linked =
      bake_push({"node", "--release", (clean / "release").string(), "--pubkey", (clean / "release.key.pub").string(),
                 "--to", "file://" + (clean / "site").string()});
  CHECK(linked.exit_status == 2);
  CHECK(linked.err.find("node.mtree is not a regular file (a link or a device is never sent)") != std::string::npos);
  CHECK_FALSE(fs::exists(clean / "site"));

  const ProcessResult bad_target =
      bake_push({"node", "--pubkey", release.public_key.string(), "--to", "oci://Registry.Example/Trust Net:1"});
  CHECK(bad_target.exit_status == 2);
  CHECK(bad_target.err.find("--to: 'oci://Registry.Example/Trust Net:1' is not oci://") != std::string::npos);
}

TEST_CASE("bake push to a folder copies the release whole and verified, and a second push copies nothing") {
  test::TempDir dir;
  const test::TestRelease release = test::make_test_release(dir / "release", "node", dir / "release.key");
  const std::vector<std::string> args{"all",
                                      "--release",
                                      (dir / "release").string(),
                                      "--pubkey",
                                      (dir / "release.key.pub").string(),
                                      "--to",
                                      "file://" + (dir / "site").string(),
                                      "--json"};
  const ProcessResult first = bake_push(args);
  INFO(first.err);
  REQUIRE(first.exit_status == 0);
  CHECK(json::parse(first.out).at(0)["sent"] == 5);
  CHECK(verify_release(dir / "site/node", release.public_key).appliance == "node");
  CHECK((fs::status(dir / "site/node").permissions() & fs::perms::others_read) != fs::perms::none);
  const auto written = fs::last_write_time(dir / "site/node/node.qcow2");
  const ProcessResult second = bake_push(args);
  REQUIRE(second.exit_status == 0);
  CHECK(json::parse(second.out).at(0)["sent"] == 0);
  CHECK(fs::last_write_time(dir / "site/node/node.qcow2") == written);
  // Nothing is left beside it.
  CHECK(std::distance(fs::directory_iterator(dir / "site"), fs::directory_iterator()) == 1);
}

TEST_CASE(
    "bake push to a web folder PUTs every file over HTTPS, the signed ones last, and skips a release already there") {
  test::TempDir dir;
  const test::TestRelease release = test::make_test_release(dir / "release", "node", dir / "release.key");
  const launcher::PemPair ca = launcher::create_certificate_authority("TrustNet CA test", 2);
  const launcher::PemPair tls = launcher::issue_server_certificate(ca, {"web", {"localhost"}, {"127.0.0.1"}}, 2);
  const fs::path ca_file = dir.write("ca.crt", ca.certificate);
  test::HttpServer web(dir / "served", dir / "nginx",
                       test::TlsFiles{dir.write("web.crt", tls.certificate), dir.write("web.key", tls.private_key)});
  const std::vector<std::string> args{"node",
                                      "--release",
                                      (dir / "release").string(),
                                      "--pubkey",
                                      (dir / "release.key.pub").string(),
                                      "--to",
                                      web.https_url("/dav/releases/"),
                                      "--ca",
                                      ca_file.string(),
                                      "--json"};
  const ProcessResult first = bake_push(args);
  INFO(first.err);
  REQUIRE(first.exit_status == 0);
  CHECK(json::parse(first.out).at(0)["sent"] == 5);
  CHECK(verify_release(dir / "nginx/dav/releases/node", release.public_key).appliance == "node");
  std::vector<std::string> puts;
  for (const std::string& line : web.log())
    if (line.find(" 201 ") != std::string::npos || line.find(" 204 ") != std::string::npos)
      puts.push_back(line.substr(0, line.find(' ')));
  REQUIRE(puts.size() == 5);
  CHECK(puts.front() == "/dav/releases/node/node.qcow2");
  CHECK(puts.back() == "/dav/releases/node/node.manifest.json");

  const ProcessResult second = bake_push(args);
  REQUIRE(second.exit_status == 0);
  CHECK(json::parse(second.out).at(0)["sent"] == 0);

  // An image of the right size but other bytes there (a push of another release that was cut
  // short) is not "already there": it is decided by digest, and the push repairs it.
  const fs::path served = dir / "nginx/dav/releases/node/node.qcow2";
  const std::string image = read_text_file(served);
  std::ofstream(served, std::ios::binary) << std::string(image.size(), 'x');
  const ProcessResult repaired = bake_push(args);
  INFO(repaired.err);
  REQUIRE(repaired.exit_status == 0);
  CHECK(json::parse(repaired.out).at(0)["sent"] == 5);
  CHECK(read_text_file(served) == image);

  // Credentials are never sent over plain HTTP: refused before any request.
  const fs::path credentials = credentials_file(dir, "pusher:over-plain-http\n");
  const ProcessResult plain =
      bake_push({"node", "--release", (dir / "release").string(), "--pubkey", (dir / "release.key.pub").string(),
                 "--to", web.url("/dav/"), "--credentials", credentials.string()});
  CHECK(plain.exit_status == 2);
  CHECK(plain.err ==
        "bake: --to " + web.url("/dav/") + ": plain HTTP would carry the credentials in clear; use https://\n");

  // A server that keeps answering 503 is tried a bounded number of times, saying so, then given up.
  const ProcessResult failing = bake_push({"node", "--release", (dir / "release").string(), "--pubkey",
                                           (dir / "release.key.pub").string(), "--to", web.url("/fail/")});
  INFO(failing.err);
  CHECK(failing.exit_status == 1);
  CHECK(failing.err.find("push node.qcow2: attempt 1 of 4 failed (PUT " + web.url("/fail/node/node.qcow2") +
                         ": HTTP 503); retrying in 0.5 s") != std::string::npos);
  CHECK(failing.err.find("HTTP 503 (gave up after 4 attempts)\n") != std::string::npos);
}

TEST_CASE("bake push sends only what the signed manifest names, plain file names, after the signature verified") {
  test::TempDir dir;
  const fs::path secret_place = dir / "outside";
  const auto push_to_folder = [&](const fs::path& key) {
    return bake_push({"node", "--release", (dir / "release").string(), "--pubkey", key.string(), "--to",
                      "file://" + (dir / "site" / "a" / "b").string()});
  };
  const auto fresh_release = [&] {
    fs::remove_all(dir / "release");
    return test::make_test_release(dir / "release", "node", dir / "release.key");
  };

  // A name that climbs out of the release folder: refused at its line, before anything is written.
  test::TestRelease release = fresh_release();
  const std::string evil = "evil payload\n";
  std::ofstream(dir / "release" / "evil", std::ios::binary) << evil;
  std::ofstream(release.folder / "SHA256SUMS", std::ios::app) << sha256_hex(evil) << "  ../../evil\n";
  const ProcessResult climbing = push_to_folder(release.public_key);
  CHECK(climbing.exit_status == 2);
  CHECK(climbing.err.find((release.folder / "SHA256SUMS").string() + ":4:67: '../../evil' is not a plain file name") !=
        std::string::npos);
  CHECK(std::count(climbing.err.begin(), climbing.err.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(dir / "site"));
  CHECK_FALSE(fs::exists(secret_place));

  // A plain name the signed manifest does not name, in the folder and in SHA256SUMS: refused.
  release = fresh_release();
  std::ofstream(release.folder / "evil.txt", std::ios::binary) << evil;
  std::ofstream(release.folder / "SHA256SUMS", std::ios::app) << sha256_hex(evil) << "  evil.txt\n";
  const ProcessResult unsigned_name = push_to_folder(release.public_key);
  CHECK(unsigned_name.exit_status == 2);
  CHECK(unsigned_name.err.find("SHA256SUMS names evil.txt, which the signed manifest does not") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "site"));

  // A release signed by another key than the trusted one, or with a damaged signature: refused.
  release = fresh_release();
  test::make_signing_key(dir / "other.key");
  const ProcessResult other_key = push_to_folder(dir / "other.key.pub");
  CHECK(other_key.exit_status != 0);
  CHECK(other_key.err.find("node.manifest.json is signed by another key") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "site"));
  {
    std::string signature = read_text_file(release.folder / "node.manifest.json.minisig");
    char& byte = signature[signature.find('\n') + 41];  // inside the Ed25519 signature's base64
    byte = byte == 'A' ? 'B' : 'A';
    std::ofstream(release.folder / "node.manifest.json.minisig", std::ios::binary) << signature;
  }
  const ProcessResult damaged = push_to_folder(release.public_key);
  CHECK(damaged.exit_status != 0);
  CHECK(damaged.err.find("does not verify with") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "site"));
  CHECK(push_to_folder(fs::path(dir / "missing.pub")).exit_status == 2);

  // The web folder hears nothing of a release refused: not one request, credentials or not.
  release = fresh_release();
  std::ofstream(release.folder / "SHA256SUMS", std::ios::app) << sha256_hex(evil) << "  ../../admin/evil.txt\n";
  test::HttpServer web(dir / "served", dir / "nginx");
  const ProcessResult web_push = bake_push({"node", "--release", (dir / "release").string(), "--pubkey",
                                            release.public_key.string(), "--to", web.url("/dav/releases/")});
  CHECK(web_push.exit_status == 2);
  CHECK(web.log().empty());

  // And the release as published goes out whole.
  release = fresh_release();
  const ProcessResult good = push_to_folder(release.public_key);
  INFO(good.err);
  CHECK(good.exit_status == 0);
  CHECK(verify_release(dir / "site/a/b/node", release.public_key).appliance == "node");
}
