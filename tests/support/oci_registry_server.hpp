#pragma once
// A real OCI registry for the distribution tests: Debian's docker-registry on a free loopback
// port, with TLS from a test CA (ca_file()) and logins for user "pusher", password(): htpasswd
// (Basic), or token authentication (Bearer) with registry_token_server.py as its token service.
// Its access log tells which requests reached it.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "background_process.hpp"
#include "common/util/process.hpp"
#include "http_server.hpp"
#include "launcher/identity/htpasswd.hpp"
#include "launcher/identity/tls_certificates.hpp"
#include "temp_dir.hpp"

namespace trustnet::test {

class OciRegistryServer {
 public:
  enum class Login { none, htpasswd, token };

  explicit OciRegistryServer(Login login = Login::htpasswd) : port_(free_loopback_port()) {
    const launcher::PemPair ca = launcher::create_certificate_authority("TrustNet CA test", 2);
    const launcher::PemPair tls = launcher::issue_server_certificate(ca, {"registry", {"localhost"}, {"127.0.0.1"}}, 2);
    ca_file_ = dir_.write("ca.crt", ca.certificate);
    dir_.write("tls.crt", tls.certificate);
    dir_.write("tls.key", tls.private_key);
    std::string auth;
    if (login == Login::htpasswd) {
      dir_.write("htpasswd", launcher::htpasswd_line("pusher", password()));
      auth = fmt::format("auth:\n  htpasswd:\n    realm: trustnet-test\n    path: {}\n", (dir_ / "htpasswd").string());
    } else if (login == Login::token) {
      const uint16_t token_port = free_loopback_port();
      const std::string d = dir_.path().string();
      run_checked({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days",
                   "2", "-subj", "/CN=trustnet-test-token", "-keyout", d + "/token.key", "-out", d + "/token.crt"});
      token_service_.emplace(
          std::vector<std::string>{TRUSTNET_SOURCE_DIR "/tests/support/registry_token_server.py",
                                   std::to_string(token_port), d + "/tls.crt", d + "/tls.key", d + "/token.crt",
                                   d + "/token.key", "trustnet-test-issuer", "pusher", password()},
          dir_ / "token.log");
      if (!token_service_->wait_for_output("listening", std::chrono::seconds(20)))
        throw std::runtime_error("the token service did not start: " + token_service_->output());
      auth = fmt::format(
          "auth:\n  token:\n    realm: https://127.0.0.1:{}/token\n    service: trustnet-test\n"
          "    issuer: trustnet-test-issuer\n    rootcertbundle: {}/token.crt\n",
          token_port, d);
    }
    dir_.write("config.yml",
               fmt::format("version: 0.1\nlog:\n  level: info\n  formatter: text\n"
                           "storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n"
                           "http:\n  addr: 127.0.0.1:{}\n  tls:\n    certificate: {}\n    key: {}\n{}",
                           (dir_ / "storage").string(), port_, (dir_ / "tls.crt").string(), (dir_ / "tls.key").string(),
                           auth));
    process_.emplace(std::vector<std::string>{"docker-registry", "serve", (dir_ / "config.yml").string()},
                     dir_ / "registry.log");
    for (int i = 0; i < 200 && !accepts_connections(port_); ++i) {
      if (process_->exited()) throw std::runtime_error("docker-registry did not start: " + process_->output());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!accepts_connections(port_)) throw std::runtime_error("docker-registry does not listen: " + process_->output());
  }

  std::string host() const { return fmt::format("127.0.0.1:{}", port_); }
  const std::filesystem::path& ca_file() const { return ca_file_; }
  static std::string password() { return "correct horse battery staple"; }
  // The requests that reached the registry since the last call: "METHOD PATH STATUS" (from its
  // access log), so that a test can tell what a push sent.
  std::vector<std::string> requests() {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the log line follows the response
    const std::string log = process_->output();
    std::vector<std::string> found;
    size_t at = read_up_to_;
    for (size_t line_end; (line_end = log.find('\n', at)) != std::string::npos; at = line_end + 1) {
      const std::string line = log.substr(at, line_end - at);
      // Access lines: 127.0.0.1 - - [date] "PUT /v2/x/blobs/uploads/…?digest=… HTTP/2.0" 201 ...
      if (!line.starts_with("127.0.0.1 - ")) continue;
      const size_t quote = line.find('"'), end = line.find(" HTTP/", quote), close = line.find("\" ", end);
      if (quote == std::string::npos || end == std::string::npos || close == std::string::npos) continue;
      const std::string request = line.substr(quote + 1, end - quote - 1);
      const std::string status = line.substr(close + 2, 3);
      found.push_back(request + " " + status);
    }
    read_up_to_ = at;
    return found;
  }
  std::string log() const { return process_->output(); }
  std::filesystem::path storage() const { return dir_ / "storage"; }  // the blobs, as the registry keeps them

 private:
  TempDir dir_;
  uint16_t port_;
  std::filesystem::path ca_file_;
  std::optional<BackgroundProcess> token_service_, process_;
  size_t read_up_to_ = 0;
};

}  // namespace trustnet::test
