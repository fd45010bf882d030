#include "launcher/identity/tls_certificates.hpp"

#include <doctest/doctest.h>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

namespace {

const ServerIdentity kNode{"trustnet-node", {"trustnet-node", "node.trustnet.local"}, {"fd10:1234::1", "127.0.0.1"}};

std::string x509_text(const std::filesystem::path& file) {
  return run_checked({"openssl", "x509", "-noout", "-text", "-in", file.string()});
}

}  // namespace

TEST_CASE("the authority is a CA certificate that signs server certificates with the host's names and addresses") {
  test::TempDir dir;
  PemPair ca = create_certificate_authority("TrustNet CA test", 3650);
  PemPair node = issue_server_certificate(ca, kNode, 825);
  auto ca_file = dir.write("ca.pem", ca.certificate);
  auto node_file = dir.write("node.pem", node.certificate);
  CHECK(node.private_key.starts_with("-----BEGIN PRIVATE KEY-----"));

  CHECK(run_checked({"openssl", "verify", "-CAfile", ca_file.string(), node_file.string()}) ==
        node_file.string() + ": OK\n");
  const std::string ca_text = x509_text(ca_file);
  CHECK(ca_text.find("CA:TRUE, pathlen:0") != std::string::npos);
  CHECK(ca_text.find("Certificate Sign, CRL Sign") != std::string::npos);
  CHECK(ca_text.find("Subject: O = TrustNet, CN = TrustNet CA test") != std::string::npos);
  const std::string node_text = x509_text(node_file);
  CHECK(node_text.find(
            "DNS:trustnet-node, DNS:node.trustnet.local, IP Address:FD10:1234:0:0:0:0:0:1, IP Address:127.0.0.1") !=
        std::string::npos);
  CHECK(node_text.find("TLS Web Server Authentication") != std::string::npos);
  CHECK(node_text.find("CA:FALSE") != std::string::npos);
  CHECK(node_text.find("Issuer: O = TrustNet, CN = TrustNet CA test") != std::string::npos);
  CHECK(node_text.find("ASN1 OID: prime256v1") != std::string::npos);

  // Another authority's certificate does not verify against this one.
  auto other = dir.write("other.pem", create_certificate_authority("Other CA", 30).certificate);
  CHECK(run_process({"openssl", "verify", "-CAfile", other.string(), node_file.string()}).exit_status != 0);
  CHECK_THROWS_WITH_AS(issue_server_certificate(ca, {"nameless", {}, {}}, 1),
                       "the certificate for nameless names no host name and no address", Error);
}

TEST_CASE("a TLS server with an issued certificate is trusted by curl given the CA, for its names only") {
  test::TempDir dir;
  PemPair ca = create_certificate_authority("TrustNet CA test", 3650);
  PemPair node = issue_server_certificate(ca, kNode, 825);
  auto ca_file = dir.write("ca.pem", ca.certificate);
  test::TlsFiles files{dir.write("node.pem", node.certificate), dir.write("node.key", node.private_key)};
  dir.write("www/status", "{\"ok\":true}\n");
  test::HttpServer server(dir / "www", dir / "nginx", files);
  const std::string port = std::to_string(server.https_port());
  auto fetch = [&](const std::string& host) {
    return run_process({"curl", "-sS", "--cacert", ca_file.string(), "--resolve", host + ":" + port + ":127.0.0.1",
                        "https://" + host + ":" + port + "/files/status"});
  };
  ProcessResult by_name = fetch("node.trustnet.local");
  CHECK(by_name.exit_status == 0);
  CHECK(by_name.out == "{\"ok\":true}\n");
  CHECK(run_process({"curl", "-sS", "--cacert", ca_file.string(), server.https_url("/files/status")}).exit_status == 0);
  ProcessResult wrong_name = fetch("registry.trustnet.local");
  CHECK(wrong_name.exit_status == 60);  // the name is not in the certificate
  CHECK(run_process({"curl", "-sS", server.https_url("/files/status")}).exit_status == 60);  // CA not given
}
