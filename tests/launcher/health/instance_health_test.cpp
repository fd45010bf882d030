#include "launcher/health/instance_health.hpp"

#include <doctest/doctest.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "common/handles/unique_fd.hpp"
#include "launcher/health/health_probe.hpp"
#include "launcher/identity/tls_certificates.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
using namespace std::chrono_literals;

namespace {

// A one-connection TCP server on [::1] that sends `greeting` and closes.
class GreetingServer {
 public:
  explicit GreetingServer(std::string greeting) : greeting_(std::move(greeting)) {
    fd_ = UniqueFd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    socklen_t size = sizeof(address);
    REQUIRE(::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &size) == 0);
    port_ = ntohs(address.sin6_port);
    REQUIRE(::listen(fd_.get(), 1) == 0);
    thread_ = std::thread([this] {
      UniqueFd client(::accept(fd_.get(), nullptr, nullptr));
      if (client.valid()) (void)!::send(client.get(), greeting_.data(), greeting_.size(), MSG_NOSIGNAL);
    });
  }
  ~GreetingServer() { thread_.join(); }
  int port() const { return port_; }

 private:
  std::string greeting_;
  UniqueFd fd_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("the SSH probe reads the banner of an SSH server and nothing from other servers or closed ports") {
  {
    GreetingServer ssh("SSH-2.0-OpenSSH_9.9\r\n");
    CHECK(ssh_greeting("::1", ssh.port(), 2s).banner == "SSH-2.0-OpenSSH_9.9");
  }
  {
    GreetingServer http("HTTP/1.1 400 Bad Request\r\n\r\n");
    CHECK_FALSE(ssh_greeting("::1", http.port(), 2s).outcome.answered);
  }
  int closed = 0;
  {
    GreetingServer gone("");  // learn a free port, then let it close
    closed = gone.port();
    CHECK_FALSE(ssh_greeting("::1", gone.port(), 2s).outcome.answered);
  }
  CHECK_FALSE(ssh_greeting("::1", closed, 500ms).outcome.connected);
  CHECK_FALSE(ssh_greeting("not-an-address", 22, 500ms).outcome.answered);
}

TEST_CASE("ping6 gets an echo reply from a live address and refuses what is not an address") {
  CHECK(ping6("::1", 2s));
  CHECK_FALSE(ping6("garbage", 300ms));
}

TEST_CASE("a process that may not ping is told why and how to allow it") {
  CHECK(ping_refusal(113, "1\t0\n") ==
        "ping probes are off: group 113 is outside net.ipv4.ping_group_range (1 0); `sysctl -w "
        "net.ipv4.ping_group_range=\"0 2147483647\"` (systemd's default) lets the probes ping");
  CHECK_FALSE(ping_refused());  // root: a raw socket
  // A child in a network namespace of its own (whose ping_group_range is the kernel's "1 0"),
  // as nobody: neither kind of ICMP socket.
  int answer[2];
  REQUIRE(::pipe(answer) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(answer[0]);
    if (::unshare(CLONE_NEWNET) != 0 || ::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0)
      ::_exit(2);
    const std::string said = ping_refused().value_or("(none)");
    ::_exit(::write(answer[1], said.data(), said.size()) == static_cast<ssize_t>(said.size()) ? 0 : 3);
  }
  ::close(answer[1]);
  std::string said;
  char chunk[512];
  for (ssize_t n; (n = ::read(answer[0], chunk, sizeof(chunk))) > 0;) said.append(chunk, static_cast<size_t>(n));
  ::close(answer[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(said == ping_refusal(65534, "1 0"));
}

TEST_CASE("the HTTPS probe wants a 200 from a server whose certificate the TrustNet CA signed") {
  test::TempDir dir;
  PemPair ca = create_certificate_authority("TrustNet CA test", 30);
  PemPair server_cert = issue_server_certificate(ca, {"trustnet-node", {"trustnet-node"}, {"127.0.0.1"}}, 30);
  const auto ca_file = dir.write("ca.pem", ca.certificate);
  const auto other_ca = dir.write("other.pem", create_certificate_authority("Other CA", 30).certificate);
  dir.write("www/status", "{}\n");
  test::HttpServer server(
      dir / "www", dir / "nginx",
      test::TlsFiles{dir.write("c.pem", server_cert.certificate), dir.write("k.pem", server_cert.private_key)});
  CHECK(https_get(server.https_url("/files/status"), ca_file, 5s).answered);
  CHECK_FALSE(https_get(server.https_url("/files/status"), ca_file, 5s).certificate.has_value());
  CHECK_FALSE(https_get(server.https_url("/files/missing"), ca_file, 5s).answered);  // 404
  CHECK_FALSE(https_get(server.https_url("/files/status"), other_ca, 5s).answered);  // untrusted certificate
  CHECK_FALSE(https_get(server.url("/files/status"), ca_file, 5s).answered);         // plain HTTP is not accepted
  CHECK(service_url(Role::node, "fd10:1234::1") == "https://[fd10:1234::1]:26657/status");
  CHECK(service_url(Role::registry, "fd10:1234::2") == "https://[fd10:1234::2]:8053/health");
}

TEST_CASE("the status table and JSON show name, address, pid, state, uptime and what answered") {
  std::vector<HealthRow> rows{
      {"node", "fd10:1234::1", 4242, Phase::up, 3725, {"ping", "ssh", "rpc"}, {}, {{"ssh", 2}, {"rpc", 3}}},
      {"registry", "fd10:1234::2", 0, Phase::stopped, 0, {}, {}, {}},
      {"other", "fd10:1234::3", 77, Phase::degraded, 5, {"ping", "health"}, {"ssh"}, {}}};
  CHECK(render_status_table(rows) ==
        "NAME      ADDRESS       PID   STATE     UPTIME  ANSWERED\n"
        "node      fd10:1234::1  4242  up        1h02m   ping,ssh,rpc\n"
        "registry  fd10:1234::2  -     stopped   -       -\n"
        "other     fd10:1234::3  77    degraded  5s      ping,health; lost ssh\n");
  const auto json = status_json(rows);
  CHECK(json[0]["pid"] == 4242);
  CHECK(json[0]["uptime_seconds"] == 3725);
  CHECK(json[0]["answered"] == nlohmann::json::array({"ping", "ssh", "rpc"}));
  CHECK(json[1]["pid"].is_null());
  CHECK(json[1]["state"] == "stopped");
  CHECK(json[0]["probe_connections"]["rpc"] == 3);
  CHECK(json[2]["lost"] == nlohmann::json::array({"ssh"}));
  CHECK(format_uptime(59) == "59s");
  CHECK(format_uptime(61) == "1m01s");
  CHECK(format_uptime(2 * 86400 + 7200) == "2d02h");
  CHECK(json[0]["image"].is_null());
}

TEST_CASE("the status shows the golden image each system disk was made from, where one was") {
  std::vector<HealthRow> rows{{"node", "fd10:1234::1", 4242, Phase::up, 61, {"ssh", "rpc"}, {}, {}},
                              {"registry", "fd10:1234::2", 0, Phase::stopped, 0, {}, {}, {}}};
  rows[0].image = "/srv/images/node-1.4.qcow2";
  rows[0].image_sha256 = std::string(12, 'a') + std::string(52, 'b');
  CHECK(render_status_table(rows) ==
        "NAME      ADDRESS       PID   STATE    UPTIME  ANSWERED  IMAGE\n"
        "node      fd10:1234::1  4242  up       1m01s   ssh,rpc   aaaaaaaaaaaa\n"
        "registry  fd10:1234::2  -     stopped  -       -         -\n");
  const auto json = status_json(rows);
  CHECK(json[0]["image"] == nlohmann::json{{"path", "/srv/images/node-1.4.qcow2"}, {"sha256", rows[0].image_sha256}});
  CHECK(json[1]["image"].is_null());
}

TEST_CASE("the health record carries what answered to later commands, for the same QEMU only") {
  test::TempDir dir;
  const auto file = dir / "health.json";
  HealthTracker seen;
  seen.record(ProbeKind::ping, true);
  seen.record(ProbeKind::ssh, true);
  seen.record(ProbeKind::service, false);
  save_health_record(file, 4242, seen);
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::all) == std::filesystem::perms(0600));
  HealthTracker same, other, damaged;
  restore_health_record(file, 4242, same);
  CHECK(same.ever_answered(ProbeKind::ssh));
  CHECK(same.ever_answered(ProbeKind::ping));
  CHECK_FALSE(same.ever_answered(ProbeKind::service));
  restore_health_record(file, 4243, other);  // another QEMU (a restart): nothing carried over
  CHECK(other.phase() == Phase::booting);
  dir.write("health.json", "{not json");
  restore_health_record(file, 4242, damaged);
  CHECK(damaged.phase() == Phase::booting);
  restore_health_record(dir / "missing.json", 4242, damaged);
  CHECK(damaged.phase() == Phase::booting);
}

TEST_CASE(
    "an ACME registry's probe checks its certificate by its public name with the system's roots and a "
    "configured root, and reads its issuer and expiry") {
  test::TempDir dir;
  PemPair ca = create_certificate_authority("Pebble Root Test", 30);
  PemPair server_cert = issue_server_certificate(ca, {"registry", {"registry.example.org"}, {}}, 30);
  const auto root = dir.write("root.pem", ca.certificate);
  dir.write("www/health", "ok\n");
  test::HttpServer server(
      dir / "www", dir / "nginx",
      test::TlsFiles{dir.write("c.pem", server_cert.certificate), dir.write("k.pem", server_cert.private_key)});
  const std::string by_address = server.https_url("/files/health");
  const std::string port =
      by_address.substr(by_address.rfind(':') + 1, by_address.find('/', 8) - by_address.rfind(':') - 1);
  const std::string by_name = "https://registry.example.org:" + port + "/files/health";
  const std::string resolve = "registry.example.org:" + port + ":127.0.0.1";

  const ProbeOutcome outcome = https_get(by_name, HttpsTrust{root, true, resolve, true}, 5s);
  CHECK(outcome.answered);
  REQUIRE(outcome.certificate.has_value());
  CHECK(outcome.certificate->issuer == "Pebble Root Test");
  const int64_t now = std::time(nullptr);
  CHECK(certificate_days_left(*outcome.certificate, now) >= 28);
  CHECK(certificate_days_left(*outcome.certificate, now) <= 30);
  // Not by the address (the certificate names only the public name), and not with the system's
  // roots alone (the configured root signed it).
  CHECK_FALSE(https_get(by_address, HttpsTrust{root, true, "", true}, 5s).answered);
  CHECK_FALSE(https_get(by_name, HttpsTrust{"", true, resolve, true}, 5s).answered);
  // The TrustNet CA's probe keeps no certificate: the status shows ACME certificates only.
  const ProbeOutcome own = https_get(by_name, HttpsTrust{root, false, resolve, false}, 5s);
  CHECK(own.answered);
  CHECK_FALSE(own.certificate.has_value());

  // libcurl's lines as OpenSSL writes them.
  const auto facts =
      certificate_facts({"Subject:CN = registry.example.org", "Issuer:C = US, O = Let's Encrypt, CN = R11",
                         "Expire date:Mar  1 12:00:00 2027 GMT"});
  REQUIRE(facts.has_value());
  CHECK(facts->issuer == "R11");
  CHECK(utc_time(facts->not_after) == "2027-03-01T12:00:00Z");
  CHECK_FALSE(certificate_facts({"Issuer:CN = R11"}).has_value());  // no expiry: nothing to show
}

TEST_CASE(
    "the status shows an ACME certificate's issuer and days left, and a registry whose certificate is about "
    "to lapse is degraded") {
  const int64_t now = std::time(nullptr);
  std::vector<HealthRow> rows{{"registry", "fd10:1234::2", 77, Phase::up, 61, {"ssh", "health"}, {}, {}},
                              {"node", "fd10:1234::1", 78, Phase::up, 61, {"ssh", "rpc"}, {}, {}}};
  rows[0].certificate = CertificateFacts{"R11", now + 63 * 86400 + 3600};
  rows[0].certificate_warn_days = 14;
  CHECK(render_status_table(rows) ==
        "NAME      ADDRESS       PID  STATE  UPTIME  ANSWERED    CERTIFICATE\n"
        "registry  fd10:1234::2  77   up     1m01s   ssh,health  R11, 63 days left\n"
        "node      fd10:1234::1  78   up     1m01s   ssh,rpc     -\n");
  const auto json = status_json(rows);
  CHECK(json[0]["certificate"]["issuer"] == "R11");
  CHECK(json[0]["certificate"]["days_left"] == 63);
  CHECK(json[0]["certificate"]["warn_days"] == 14);
  CHECK_FALSE(json[1].contains("certificate"));
  rows[0].certificate->not_after = now + 3 * 86400 + 3600;
  CHECK(certificate_text(rows[0], now) == "R11, 3 days left, renewal failing");
  rows[0].certificate->not_after = now - 10;
  CHECK(certificate_text(rows[0], now) == "R11, expired, renewal failing");
}
