// The health monitor against slow servers on loopback, as services under emulation behave: an
// SSH-like greeter that takes 1.5 s to send its banner, an HTTPS server that answers after 2 s,
// and one that stops answering.
#include "launcher/health/health_monitor.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "common/handles/unique_fd.hpp"
#include "launcher/health/instance_health.hpp"
#include "launcher/identity/tls_certificates.hpp"
#include "support/background_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

// Accepts connections on [::1]; each waits `delay`, sends an SSH banner, then reads what the
// client sends until it closes. Counts connections and how many were open at once.
class SlowGreeter {
 public:
  explicit SlowGreeter(milliseconds delay) : delay_(delay) {
    listener_ = UniqueFd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    REQUIRE(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    socklen_t size = sizeof(address);
    REQUIRE(::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &size) == 0);
    port_ = ntohs(address.sin6_port);
    REQUIRE(::listen(listener_.get(), 16) == 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~SlowGreeter() {
    stopping_ = true;
    acceptor_.join();
    for (auto& t : handlers_) t.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_; }
  int most_open_at_once() const { return most_open_; }
  std::vector<std::string> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      pollfd p{listener_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int client = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++connections_;
      most_open_ = std::max(most_open_.load(), ++open_);
      handlers_.emplace_back([this, client] { serve(UniqueFd(client)); });
    }
  }
  void serve(UniqueFd client) {
    std::this_thread::sleep_for(delay_);
    const std::string banner = "SSH-2.0-OpenSSH_9.9\r\n";
    std::string got;
    if (::send(client.get(), banner.data(), banner.size(), MSG_NOSIGNAL) > 0) {
      for (int waited = 0; waited < 100 && !stopping_; ++waited) {
        pollfd p{client.get(), POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char chunk[512];
        ssize_t n = ::recv(client.get(), chunk, sizeof(chunk), 0);
        if (n <= 0) break;
        got.append(chunk, static_cast<size_t>(n));
      }
    }
    --open_;
    std::lock_guard lock(mutex_);
    received_.push_back(got);
  }

  milliseconds delay_;
  UniqueFd listener_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0}, open_{0}, most_open_{0};
  std::thread acceptor_;
  std::vector<std::thread> handlers_;
  std::mutex mutex_;
  std::vector<std::string> received_;
};

// tests/support/slow_https_server.py with a certificate of a TrustNet CA for "::1".
class SlowHttps {
 public:
  SlowHttps(const test::TempDir& dir, double delay, int answer) {
    PemPair ca = create_certificate_authority("TrustNet CA test", 30);
    PemPair cert = issue_server_certificate(ca, {"trustnet-registry", {"trustnet-registry"}, {"::1"}}, 30);
    ca_file_ = dir.write("ca.pem", ca.certificate);
    const auto port_file = dir / "port";
    process_.emplace(
        std::vector<std::string>{"python3", (test::source_dir() / "tests/support/slow_https_server.py").string(),
                                 "--cert", dir.write("cert.pem", cert.certificate).string(), "--key",
                                 dir.write("key.pem", cert.private_key).string(), "--delay", std::to_string(delay),
                                 "--answer", std::to_string(answer), "--port-file", port_file.string()},
        dir / "https.log");
    for (int i = 0; i < 100 && !std::filesystem::exists(port_file); ++i) std::this_thread::sleep_for(50ms);
    REQUIRE_MESSAGE(std::filesystem::exists(port_file), process_->output());
    url_ = "https://[::1]:" + read_text_file(port_file) + "/health";
  }
  const std::string& url() const { return url_; }
  const std::filesystem::path& ca_file() const { return ca_file_; }
  int most_open_at_once() const {
    int most = 0;
    std::istringstream log(process_->output());
    std::string word;
    int open = 0;
    while (log >> word >> open) most = std::max(most, open);
    return most;
  }

 private:
  std::optional<test::BackgroundProcess> process_;
  std::filesystem::path ca_file_;
  std::string url_;
};

// Polls the monitor every 100 ms for `how_long`, noting each phase it shows.
std::vector<Phase> watch(HealthMonitor& monitor, milliseconds how_long, bool stop_when_up = false) {
  std::vector<Phase> seen;
  const auto end = steady_clock::now() + how_long;
  while (steady_clock::now() < end) {
    monitor.poll();
    const Phase phase = monitor.tracker().phase();
    if (seen.empty() || seen.back() != phase) seen.push_back(phase);
    if (stop_when_up && phase == Phase::up) break;
    std::this_thread::sleep_for(100ms);
  }
  return seen;
}

}  // namespace

TEST_CASE(
    "against an SSH greeter that takes 1.5 s and an HTTPS service that takes 2 s, the monitor reaches up with one "
    "connection at a time") {
  test::TempDir dir;
  SlowGreeter ssh(1500ms);
  SlowHttps https(dir, 2.0, -1);
  std::vector<Phase> seen;
  {
    HealthMonitor monitor({"::1", ssh.port(), https.url(), https.ca_file(), "health"}, ProbePolicy{10s, 1s, 10s, 3});
    seen = watch(monitor, 12s, true);
    CHECK(monitor.answering() == std::vector<std::string>{"ping", "ssh", "health"});
    CHECK(monitor.counts(ProbeKind::ssh).connections == monitor.counts(ProbeKind::ssh).probes);
    CHECK(monitor.counts(ProbeKind::ssh).answered == 1);
    CHECK(monitor.counts(ProbeKind::service).answered == 1);
  }
  // Ping answers at once (reachable), the rest once each slow answer came: never backwards.
  CHECK(seen == std::vector<Phase>{Phase::booting, Phase::reachable, Phase::up});
  CHECK(ssh.connections() == 1);  // the first probe waited for its banner instead of being replaced
  CHECK(ssh.most_open_at_once() == 1);
  CHECK(https.most_open_at_once() == 1);
  // The probe said who it is and disconnected in the SSH protocol's own words.
  const auto received = ssh.received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].starts_with("SSH-2.0-TrustNetLaunchProbe\r\n"));
  const std::string packet = received[0].substr(received[0].find('\n') + 1);
  REQUIRE(packet.size() >= 16);
  CHECK(packet.size() % 8 == 0);
  CHECK(packet[5] == 1);   // SSH_MSG_DISCONNECT
  CHECK(packet[9] == 11);  // SSH_DISCONNECT_BY_APPLICATION
}

TEST_CASE(
    "a service that stops answering shows as degraded only after several failed probes, and up is never taken back") {
  test::TempDir dir;
  SlowGreeter ssh(0ms);
  SlowHttps https(dir, 0.2, 2);  // answers twice, then holds every connection without a reply
  HealthMonitor monitor({"::1", ssh.port(), https.url(), https.ca_file(), "health"},
                        ProbePolicy{1500ms, 500ms, 500ms, 3});
  const auto seen = watch(monitor, 12s);
  CHECK(seen == std::vector<Phase>{Phase::booting, Phase::reachable, Phase::up, Phase::degraded});
  CHECK(monitor.lost() == std::vector<std::string>{"health"});
  CHECK(monitor.answering() == std::vector<std::string>{"ping", "ssh"});
  CHECK(monitor.tracker().reached_up());
  CHECK(monitor.counts(ProbeKind::service).answered == 2);
  CHECK(monitor.counts(ProbeKind::service).probes >= 5);  // two answers, then three waits in vain
  CHECK(https.most_open_at_once() == 1);
  CHECK(ssh.most_open_at_once() == 1);
}

TEST_CASE("the monitor settles once every kind has a verdict, and nothing answers on a closed port") {
  SlowGreeter greeter(0ms);
  const int closed = [] {
    SlowGreeter gone(0ms);
    return gone.port();
  }();
  HealthMonitor monitor({"::1", closed, "https://[::1]:1/health", "/nonexistent/ca.pem", "rpc"},
                        ProbePolicy{2s, 200ms, 2s, 2});
  CHECK_FALSE(monitor.settled());
  for (int i = 0; i < 50 && !monitor.settled(); ++i) {
    monitor.poll();
    std::this_thread::sleep_for(100ms);
  }
  CHECK(monitor.settled());
  CHECK(monitor.answering() == std::vector<std::string>{"ping"});
  CHECK(monitor.counts(ProbeKind::ssh).connections == 0);
  CHECK(monitor.counts(ProbeKind::service).connections == 0);  // no CA: not even tried
  CHECK(monitor.tracker().phase() == Phase::reachable);
  CHECK(monitor.name(ProbeKind::service) == "rpc");
}

namespace {

// Every probe answers at once; the service presents a certificate with `days` left.
class CertificateProber final : public Prober {
 public:
  explicit CertificateProber(int days) : days_(days) {}
  std::future<ProbeOutcome> start(ProbeKind kind, const ProbeTargets&, milliseconds,
                                  const std::atomic<bool>&) override {
    ProbeOutcome outcome{true, kind != ProbeKind::ping, "", std::nullopt, std::nullopt};
    if (kind == ProbeKind::service)
      outcome.certificate = CertificateFacts{"Pebble Intermediate CA", std::time(nullptr) + days_ * 86400 + 3600};
    std::promise<ProbeOutcome> answer;
    answer.set_value(outcome);
    return answer.get_future();
  }

 private:
  int days_;
};

HealthRow row_after_one_round(int days) {
  CertificateProber prober(days);
  ProbeTargets targets{"fd10:1234::2", 22, "https://registry.example.org:8053/health", "", "health", ""};
  targets.system_roots = true;
  targets.warn_days = 14;
  HealthMonitor monitor(targets, ProbePolicy{}, prober, steady_time());
  for (int i = 0; i < 100 && !monitor.settled(); ++i) {
    monitor.poll();
    std::this_thread::sleep_for(10ms);
  }
  HealthRow row;
  row.phase = monitor.tracker().phase();
  fill_from_monitor(row, monitor);
  return row;
}

}  // namespace

TEST_CASE("a registry that answers but whose certificate has fewer days left than its warning is degraded") {
  const HealthRow fresh = row_after_one_round(60);
  CHECK(fresh.phase == Phase::up);
  REQUIRE(fresh.certificate.has_value());
  CHECK(fresh.certificate->issuer == "Pebble Intermediate CA");
  const HealthRow lapsing = row_after_one_round(5);
  CHECK(lapsing.phase == Phase::degraded);
  CHECK(certificate_text(lapsing, std::time(nullptr)) == "Pebble Intermediate CA, 5 days left, renewal failing");
}
