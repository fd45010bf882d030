// The registry appliance's generated configuration run by the real servers, on loopback: Debian's
// docker-registry (the same distribution registry, amd64) and caddy, with certificates from a
// TrustNet CA made by the identity library.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <thread>

#include "baker/render/caddyfile.hpp"
#include "baker/render/registry_config.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "launcher/identity/htpasswd.hpp"
#include "launcher/identity/tls_certificates.hpp"
#include "support/background_process.hpp"
#include "support/http_server.hpp"
#include "support/random_bytes.hpp"
#include "support/registry_client.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

namespace {

// The registry's configuration with every path in a test folder and free loopback ports.
struct Appliance {
  test::TempDir dir;
  RegistrySpec spec;
  std::string password = launcher::generate_password();
  fs::path ca_file;

  Appliance() {
    spec.storage = (dir / "storage").string();
    spec.listen = fmt::format("127.0.0.1:{}", test::free_loopback_port());
    spec.debug_listen = fmt::format("127.0.0.1:{}", test::free_loopback_port());
    spec.htpasswd = dir.write("htpasswd", launcher::htpasswd_line("keeper", password)).string();
    spec.https_port = test::free_loopback_port();
    spec.addresses = {"::1"};
    spec.caddy_data = (dir / "caddy-data").string();
    launcher::PemPair ca = launcher::create_certificate_authority("TrustNet CA test", 30);
    launcher::PemPair tls =
        launcher::issue_server_certificate(ca, {"trustnet-registry", {"registry.trustnet.local"}, {"::1"}}, 30);
    ca_file = dir.write("ca.crt", ca.certificate);
    spec.certificate = dir.write("tls/registry.crt", tls.certificate).string();
    spec.key = dir.write("tls/registry.key", tls.private_key).string();
    fs::permissions(spec.key, fs::perms(0600));
    dir.write("config.yml", render_registry_config(spec));
    dir.write("Caddyfile", render_caddyfile(spec));
  }
  std::string url(const std::string& path) const { return fmt::format("https://[::1]:{}{}", spec.https_port, path); }
  test::RegistryClient client() const { return test::RegistryClient(url(""), ca_file); }
};

}  // namespace

TEST_CASE("caddy validate accepts the generated Caddyfile with the TrustNet CA and with ACME") {
  Appliance a;
  ProcessResult local =
      run_process({"caddy", "validate", "--config", (a.dir / "Caddyfile").string(), "--adapter", "caddyfile"});
  INFO(local.err);
  CHECK(local.exit_status == 0);
  const std::string text = read_text_file(a.dir / "Caddyfile");
  CHECK(text.find("\tadmin off\n") != std::string::npos);
  CHECK(text.find(fmt::format("https://registry.trustnet.local:{}, https://[::1]:{} {{", a.spec.https_port,
                              a.spec.https_port)) != std::string::npos);

  // ACME, each challenge: only the issuers named, the one challenge forwarded, no address.
  RegistrySpec acme = a.spec;
  acme.tls = RegistrySpec::Tls::acme;
  acme.acme.email = "ops@example.org";
  acme.acme.directory = AcmeSpec::lets_encrypt_staging;
  acme.acme.root_pem = "-----BEGIN CERTIFICATE-----";  // only its path is in the Caddyfile
  acme.acme.root_path = a.ca_file.string();
  acme.names = {"registry.example.org"};
  auto validate = [&](const RegistrySpec& spec, const std::string& name) {
    const fs::path file = a.dir.write(name, render_caddyfile(spec));
    ProcessResult result = run_process({"caddy", "validate", "--config", file.string(), "--adapter", "caddyfile"});
    INFO(name, ": ", result.err);
    CHECK(result.exit_status == 0);
    return read_text_file(file);
  };
  const std::string tls_alpn = validate(acme, "Caddyfile.tls-alpn");
  CHECK(tls_alpn.find(
            fmt::format("\t\tissuer acme {{\n\t\t\tdir {}\n\t\t\temail ops@example.org\n\t\t\ttrusted_roots {}\n"
                        "\t\t\tdisable_http_challenge\n\t\t\talt_tlsalpn_port {}\n",
                        AcmeSpec::lets_encrypt_staging, a.ca_file.string(), a.spec.https_port)) != std::string::npos);
  CHECK(tls_alpn.find("[::1]") == std::string::npos);                    // a public CA cannot certify an address
  CHECK(tls_alpn.find("issuer acme") == tls_alpn.rfind("issuer acme"));  // one issuer: no fallback

  acme.acme.challenge = AcmeSpec::Challenge::http;
  acme.acme.second_directory = AcmeSpec::lets_encrypt;
  const std::string http = validate(acme, "Caddyfile.http");
  CHECK(http.find("\t\t\tdisable_tlsalpn_challenge\n\t\t\talt_http_port 80\n") != std::string::npos);
  CHECK(http.find(fmt::format("dir {}\n", AcmeSpec::lets_encrypt)) != std::string::npos);
  CHECK(http.find("issuer acme") != http.rfind("issuer acme"));  // the second, named

  // dns-01 reaches Caddy's DNS option, which asks for the module of the operator's build.
  acme.acme.challenge = AcmeSpec::Challenge::dns;
  acme.acme.dns_provider = "trustnettestdns {env.TOKEN}";
  const fs::path dns = a.dir.write("Caddyfile.dns", render_caddyfile(acme));
  ProcessResult no_module = run_process({"caddy", "validate", "--config", dns.string(), "--adapter", "caddyfile"});
  CHECK(no_module.exit_status != 0);
  CHECK(no_module.err.find("dns.providers.trustnettestdns") != std::string::npos);
}

TEST_CASE(
    "the registry behind Caddy answers /health without credentials, refuses the API without them, and returns pushed "
    "blobs and manifests") {
  Appliance a;
  const std::string env_home = "HOME=" + a.dir.path().string();
  test::BackgroundProcess registry({"docker-registry", "serve", (a.dir / "config.yml").string()},
                                   a.dir / "registry.log");
  test::BackgroundProcess caddy({"env", env_home, "XDG_CONFIG_HOME=" + (a.dir / "xdg").string(), "caddy", "run",
                                 "--config", (a.dir / "Caddyfile").string(), "--adapter", "caddyfile"},
                                a.dir / "caddy.log");
  const test::RegistryClient api = a.client();
  std::optional<ProcessResult> health;
  for (int i = 0; i < 100; ++i) {
    health = api.curl({a.url("/health")});
    if (health->exit_status == 0 && api.status(*health) == "200") break;
    REQUIRE_MESSAGE(!registry.exited(), registry.output());
    REQUIRE_MESSAGE(!caddy.exited(), caddy.output());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(registry.output(), caddy.output());
  REQUIRE(api.status(*health) == "200");
  // The same through the registry's name, which the certificate carries.
  CHECK(api.status_of({"--resolve", fmt::format("registry.trustnet.local:{}:[::1]", a.spec.https_port),
                       fmt::format("https://registry.trustnet.local:{}/health", a.spec.https_port)}) == "200");

  CHECK(api.status_of({a.url("/v2/")}) == "401");
  CHECK(api.status_of({"-u", "keeper:wrong", a.url("/v2/")}) == "401");
  const std::string user = "keeper:" + a.password;
  CHECK(api.status_of({"-u", user, a.url("/v2/")}) == "200");

  // Push two blobs (config and layer) and a manifest, then pull them back.
  const std::string layer = test::random_bytes(300000, 9);
  const std::string config = R"({"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  for (const std::string* blob : {&layer, &config}) CHECK(api.push_blob(user, "trustnet/test", *blob) == "201");
  const std::string manifest = test::RegistryClient::manifest(config, layer);
  REQUIRE(api.put_manifest(user, "trustnet/test", "v1", manifest) == "201");

  ProcessResult pulled = api.get_manifest(user, "trustnet/test", "v1");
  CHECK(api.status(pulled) == "200");
  CHECK(api.body(pulled) == manifest);
  ProcessResult blob = api.get_blob(user, "trustnet/test", layer);
  CHECK(api.status(blob) == "200");
  CHECK(api.body(blob) == layer);
  CHECK(api.status_of(
            {"-u", user, "-X", "DELETE", a.url("/v2/trustnet/test/manifests/" + test::digest_of(manifest))}) == "202");
  CHECK(api.status(api.get_manifest(user, "trustnet/test", "v1")) == "404");
}
