#pragma once
// A real HTTP server for the download tests: nginx from Debian, on a free loopback port, started
// in the foreground by the test and stopped with it. Paths it serves from `root`:
//   /files/NAME   the file, with Range support
//   /slow/NAME    the same at 1 MiB/s, so that a test can interrupt a transfer
//   /moved/NAME   302 to /files/NAME
//   /fail/NAME    503, always
// and, over HTTPS, /files/NAME on https_port(): with a self-signed certificate, or the
// certificate and key files the test gives; and /dav/PATH, a WebDAV folder that takes PUT and
// MKCOL into WORK/dav/PATH.
// Every request is logged with its Range header: log() returns "URI STATUS RANGE" lines.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "background_process.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"

namespace trustnet::test {

inline uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("cannot find a free loopback port");
  ::close(fd);
  return ntohs(address.sin_port);
}

inline bool accepts_connections(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

struct TlsFiles {
  std::filesystem::path certificate, key;
};

class HttpServer {
 public:
  HttpServer(const std::filesystem::path& root, const std::filesystem::path& work,
             std::optional<TlsFiles> tls = std::nullopt)
      : work_(work), port_(free_loopback_port()), https_port_(free_loopback_port()) {
    std::filesystem::create_directories(work_ / "tmp");
    if (!tls) {
      tls = TlsFiles{work_ / "cert.pem", work_ / "key.pem"};
      run_checked({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                   "-keyout", tls->key.string(), "-out", tls->certificate.string()});
    }
    const std::string w = work_.string(), r = std::filesystem::absolute(root).string();
    std::ofstream(work_ / "nginx.conf")
        << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
        << "pid " << w << "/nginx.pid;\nerror_log " << w << "/error.log;\n"
        << "events { worker_connections 64; }\nhttp {\n"
        << "  log_format ranges '$request_uri $status \"$http_range\"';\n"
        << "  access_log " << w << "/access.log ranges;\n"
        << "  client_body_temp_path " << w << "/tmp; proxy_temp_path " << w << "/tmp; fastcgi_temp_path " << w
        << "/tmp;\n"
        << "  uwsgi_temp_path " << w << "/tmp; scgi_temp_path " << w << "/tmp;\n"
        << "  default_type application/octet-stream; client_max_body_size 0;\n"
        << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
        << "    location /files/ { alias " << r << "/; }\n"
        << "    location /slow/ { alias " << r << "/; limit_rate 1m; }\n"
        << "    location /moved/ { rewrite ^/moved/(.*)$ /files/$1 redirect; }\n"
        << "    location /fail/ { return 503; }\n  }\n"
        << "  server {\n    listen 127.0.0.1:" << https_port_ << " ssl;\n"
        << "    ssl_certificate " << tls->certificate.string() << ";\n    ssl_certificate_key " << tls->key.string()
        << ";\n"
        << "    location /files/ { alias " << r << "/; }\n"
        << "    location /dav/ { root " << w << "; dav_methods PUT MKCOL; "
        << "create_full_put_path on; dav_access user:rw all:r; client_max_body_size 0; }\n"
        << "  }\n}\n";
    process_.emplace(std::vector<std::string>{"nginx", "-p", w, "-c", w + "/nginx.conf"}, work_ / "nginx.out");
    for (int i = 0; i < 100 && !(accepts_connections(port_) && accepts_connections(https_port_)); ++i) {
      if (process_->exited()) throw std::runtime_error("nginx did not start: " + process_->output() + errors());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!accepts_connections(port_)) throw std::runtime_error("nginx does not accept connections: " + errors());
  }
  ~HttpServer() {
    if (process_) process_->signal(SIGQUIT);
  }

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string https_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(https_port_) + path;
  }
  uint16_t https_port() const { return https_port_; }

  // nginx logs a request after sending its response, so a client can finish first: wait until
  // the log has stopped growing for 100 ms (at most 3 s) before reading it.
  std::vector<std::string> log() const {
    std::vector<std::string> lines;
    const auto file = work_ / "access.log";
    auto size = [&] { return std::filesystem::exists(file) ? std::filesystem::file_size(file) : 0; };
    for (int i = 0; i < 30; ++i) {
      const auto before = size();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (size() == before) break;
    }
    if (!std::filesystem::exists(file)) return lines;
    std::istringstream in(read_text_file(file));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  std::string errors() const {
    return std::filesystem::exists(work_ / "error.log") ? read_text_file(work_ / "error.log") : "";
  }

  std::filesystem::path work_;
  uint16_t port_, https_port_;
  std::optional<BackgroundProcess> process_;
};

}  // namespace trustnet::test
