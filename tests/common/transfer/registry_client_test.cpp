// The registry client against a registry that answers maliciously (tests/support/hostile_registry.py):
// credentials never leave TLS or the registry's own origin, and every odd answer is one clear line.
#include "common/transfer/registry_client.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>

#include "common/release/release_artifact.hpp"
#include "common/util/process.hpp"
#include "support/hostile_registry.hpp"
#include "support/release_folder.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

const std::string kPassword = "hunter2-never-in-clear";

struct Push {
  test::TempDir dir;
  fs::path credentials;
  Push() {
    test::make_test_release(dir / "release", "node", dir / "release.key", 64 << 10);
    credentials = dir.write("credentials", "pusher:" + kPassword + "\n");
    ::chmod(credentials.c_str(), 0600);
  }
  ProcessResult to(const test::HostileRegistry& registry) const {
    return run_process({TRUSTNET_BAKE_BINARY, "push", "node", "--release", (dir / "release").string(), "--pubkey",
                        (dir / "release.key.pub").string(), "--to", "oci://" + registry.host() + "/trustnet:1", "--ca",
                        registry.ca_file().string(), "--credentials", credentials.string(), "-q"});
  }
};

size_t lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("a Bearer realm over plain HTTP, on the registry's host or another, gets no credentials and no request") {
  for (const std::string mode : {"http-realm", "http-realm-host"}) {
    CAPTURE(mode);
    test::HostileRegistry registry(mode);
    Push push;
    const ProcessResult pushed = push.to(registry);
    CHECK(pushed.exit_status == 2);
    const std::string host = mode == "http-realm" ? "127.0.0.1" : "localhost";
    CHECK(pushed.err.find("registry " + registry.host() + " names the token realm http://" + host + ":" +
                          std::to_string(registry.trap_port()) +
                          "/token, which is not HTTPS: refused, credentials and tokens travel only over TLS") !=
          std::string::npos);
    CHECK(lines(pushed.err) == 1);
    CHECK(pushed.err.find(kPassword) == std::string::npos);
    CHECK(registry.requests("trap").empty());

    // What launch pull asks of the registry meets the same refusal.
    RegistryClient client(parse_oci_reference("oci://" + registry.host() + "/trustnet/node:1").value,
                          {{registry.ca_file()}, RegistryCredentials{"pusher", kPassword}, ""});
    CHECK_THROWS_WITH_AS(client.get_manifest("1", kOciManifestType), doctest::Contains("which is not HTTPS"), Error);
    CHECK(registry.requests("trap").empty());
  }
}

TEST_CASE("an upload Location on another scheme, port or host gets neither the blob nor the credentials") {
  for (const std::string mode : {"location-http", "location-host"}) {
    CAPTURE(mode);
    test::HostileRegistry registry(mode);
    Push push;
    const ProcessResult pushed = push.to(registry);
    INFO(pushed.err);
    CHECK(pushed.exit_status != 0);
    CHECK(pushed.err.find("registry " + registry.host() + " sent the upload of ") != std::string::npos);
    CHECK(pushed.err.find("outside https://127.0.0.1:") != std::string::npos);
    CHECK(pushed.err.find("refused, blobs and credentials go to the registry only") != std::string::npos);
    CHECK(pushed.err.find(kPassword) == std::string::npos);
    CHECK(registry.requests("trap").empty());
    for (const std::string& request : registry.requests("registry"))
      CHECK_MESSAGE(request.find("registry PUT") == std::string::npos, request);
    CHECK(pushed.out.empty());  // nothing reported as pushed
  }
}

TEST_CASE("a token service that answers 404, or a token that would add a header, is one clear line") {
  test::HostileRegistry missing("token-404");
  Push push;
  const ProcessResult pushed = push.to(missing);
  CHECK(pushed.exit_status == 1);
  CHECK(pushed.err == "push node to oci://" + missing.host() + "/trustnet/node:1: the token service of registry " +
                          missing.host() + " answered HTTP 404 at https://" + missing.host() + "/token\n");

  test::HostileRegistry injecting("token-newline");
  RegistryClient client(parse_oci_reference("oci://" + injecting.host() + "/trustnet/node:1").value,
                        {{injecting.ca_file()}, RegistryCredentials{"pusher", kPassword}, ""});
  CHECK_THROWS_WITH_AS(client.has_blob("sha256:" + std::string(64, '0')),
                       doctest::Contains("answered without a usable token"), Error);
}

TEST_CASE("token answers: a token is one line of token characters, whatever else the JSON holds") {
  CHECK(parse_token_response(R"({"token":"eyJ.abc-_~+/="})") == "eyJ.abc-_~+/=");
  CHECK(parse_token_response(R"({"access_token":"t0k3n","expires_in":300})") == "t0k3n");
  CHECK(parse_token_response(R"({"token":"a\r\nX-Evil: 1"})") == std::nullopt);
  CHECK(parse_token_response(R"({"token":""})") == std::nullopt);
  CHECK(parse_token_response(R"({"token":42})") == std::nullopt);
  CHECK(parse_token_response(R"(["token"])") == std::nullopt);
  CHECK(parse_token_response("not json") == std::nullopt);
  CHECK(parse_token_response(R"({"token":")" + std::string(20000, 'a') + R"("})") == std::nullopt);
}

TEST_CASE("a registry that trickles its answers is left at the command's deadline, not after the low-speed limit") {
  test::HostileRegistry registry("trickle");
  const auto started = std::chrono::steady_clock::now();
  RegistryAccess access{{registry.ca_file()}, std::nullopt, ""};
  access.deadline = started + std::chrono::seconds(3);
  access.deadline_name = "pull.timeout 3 s";
  RegistryClient client(parse_oci_reference("oci://" + registry.host() + "/trustnet/node:1").value, access);
  CHECK_THROWS_WITH_AS(client.get_manifest("1", kOciManifestType),
                       doctest::Contains("not answered when the time allowed ran out (pull.timeout 3 s)"), Error);
  // Ended by the deadline: well before curl's 30 s low-speed limit would have ended it.
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  // A request after the deadline is not sent at all.
  CHECK_THROWS_WITH_AS(client.get_manifest("1", kOciManifestType),
                       doctest::Contains("not sent, the time allowed ran out"), Error);
}
