#pragma once
// tests/support/hostile_registry.py on loopback: a registry that answers maliciously in one
// MODE (see the script), with TLS from a test CA for 127.0.0.1 and localhost, and a plain HTTP
// trap beside it. requests() tells what reached each: "registry|trap METHOD PATH auth=yes|no".
#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "background_process.hpp"
#include "launcher/identity/tls_certificates.hpp"
#include "temp_dir.hpp"
#include "test_paths.hpp"

namespace trustnet::test {

class HostileRegistry {
 public:
  explicit HostileRegistry(const std::string& mode) {
    const launcher::PemPair ca = launcher::create_certificate_authority("TrustNet CA test", 2);
    const launcher::PemPair tls = launcher::issue_server_certificate(ca, {"hostile", {"localhost"}, {"127.0.0.1"}}, 2);
    ca_file_ = dir_.write("ca.crt", ca.certificate);
    dir_.write("tls.crt", tls.certificate);
    dir_.write("tls.key", tls.private_key);
    process_.emplace(
        std::vector<std::string>{"/usr/bin/python3", (source_dir() / "tests/support/hostile_registry.py").string(),
                                 mode, (dir_ / "tls.crt").string(), (dir_ / "tls.key").string(),
                                 (dir_ / "ports").string()},
        dir_ / "requests.log");
    for (int i = 0; i < 200 && !std::filesystem::exists(dir_ / "ports"); ++i) {
      if (process_->exited()) throw std::runtime_error("hostile_registry.py did not start: " + process_->output());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::istringstream(read_text_file(dir_ / "ports")) >> port_ >> trap_port_;
    if (port_ == 0) throw std::runtime_error("hostile_registry.py did not listen: " + process_->output());
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  uint16_t trap_port() const { return trap_port_; }
  const std::filesystem::path& ca_file() const { return ca_file_; }

  std::vector<std::string> requests(const std::string& server) const {
    std::vector<std::string> found;
    std::istringstream in(process_->output());
    for (std::string line; std::getline(in, line);)
      if (line.starts_with(server + " ")) found.push_back(line);
    return found;
  }

 private:
  TempDir dir_;
  std::filesystem::path ca_file_;
  uint16_t port_ = 0, trap_port_ = 0;
  std::optional<BackgroundProcess> process_;
};

}  // namespace trustnet::test
