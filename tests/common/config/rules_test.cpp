#include "common/config/rules.hpp"

#include <doctest/doctest.h>

using namespace trustnet;

TEST_CASE("unique local IPv6 addresses pass and everything else is named") {
  CHECK_FALSE(check_ipv6_ula("fd10:1234::1"));
  CHECK_FALSE(check_ipv6_ula("fc00::abcd"));
  CHECK(check_ipv6_ula("fd10:1234::zz").value() == "'fd10:1234::zz' is not a valid IPv6 address");
  CHECK(check_ipv6_ula("2001:db8::1").value() == "'2001:db8::1' is not a unique local IPv6 address (fc00::/7)");
  CHECK(check_ipv6_ula("10.0.0.1").has_value());
  CHECK(check_ipv6_ula("fd10::1/32").value().find("without a prefix") != std::string::npos);
}

TEST_CASE("IPv6 prefixes are numbers of bits between 8 and 128") {
  CHECK(parse_ipv6_prefix("32").value == 32);
  CHECK_FALSE(parse_ipv6_prefix("32").problem);
  CHECK(parse_ipv6_prefix("8").value == 8);
  CHECK(parse_ipv6_prefix("128").value == 128);
  CHECK(parse_ipv6_prefix("0").problem == "IPv6 prefix length 0 is out of range (8 to 128)");
  CHECK(parse_ipv6_prefix("129").problem == "IPv6 prefix length 129 is out of range (8 to 128)");
  CHECK(parse_ipv6_prefix("/32").problem == "IPv6 prefix '/32' must be a number of bits such as 32");
  CHECK(parse_ipv6_prefix("99999999999999999999").problem.has_value());
  CHECK(parse_ipv6_prefix("").problem.has_value());
}

TEST_CASE("distinct addresses compare as addresses and name who holds one already") {
  DistinctAddresses addresses;
  CHECK_FALSE(addresses.claim(*parse_ipv6("fd10:1234::fe"), "the bridge"));
  CHECK_FALSE(addresses.claim(*parse_ipv6("fd10:1234::1"), "node"));
  CHECK(addresses.claim(*parse_ipv6("fd10:1234:0:0::1"), "registry") == "node");
  CHECK(addresses.claim(*parse_ipv6("FD10:1234::FE"), "registry") == "the bridge");
  CHECK_FALSE(addresses.claim(*parse_ipv6("fd10:1234::2"), "registry"));
}

TEST_CASE("user names follow the shadow-utils rules") {
  CHECK_FALSE(check_user_name("warden"));
  CHECK_FALSE(check_user_name("_svc-1"));
  CHECK(check_user_name("Warden"));
  CHECK(check_user_name("1abc"));
  CHECK(check_user_name("a:b"));
  CHECK(check_user_name(""));
  CHECK(check_user_name(std::string(33, 'a')));
}

TEST_CASE("image paths must be absolute, normal and unable to climb out") {
  CHECK_FALSE(check_image_path("/opt/trustnet/node"));
  CHECK_FALSE(check_image_path("/"));
  CHECK(check_image_path("opt/x").value() == "path 'opt/x' must be absolute");
  CHECK(check_image_path("/opt/../etc").value() == "path '/opt/../etc' escapes the image with '..'");
  CHECK(check_image_path("/..").has_value());
  CHECK(check_image_path("/opt//x").has_value());
  CHECK(check_image_path("/opt/./x").has_value());
  CHECK(check_image_path("/opt/").has_value());
}

TEST_CASE("sha256 pins are exactly 64 hex digits") {
  CHECK_FALSE(check_sha256(std::string(64, 'a')));
  CHECK_FALSE(check_sha256(std::string(64, 'F')));
  CHECK(check_sha256(std::string(63, 'a')));
  CHECK(check_sha256(std::string(64, 'g')));
}

TEST_CASE("SSH key lines must be public keys") {
  CHECK_FALSE(check_ssh_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHZ0 me@host"));
  CHECK(check_ssh_public_key("-----BEGIN OPENSSH PRIVATE KEY-----").value().find("private key") != std::string::npos);
  CHECK(check_ssh_public_key("ssh-ed25519").has_value());
  CHECK(check_ssh_public_key("ssh-foo AAAAAAAAAAAAAAAAAAAA").has_value());
  CHECK(check_ssh_public_key("ssh-ed25519 not*base64*at*all*here").has_value());
}

TEST_CASE("service arguments with shell metacharacters are refused") {
  CHECK_FALSE(check_service_argument("--home"));
  CHECK_FALSE(check_service_argument("a b"));
  CHECK(check_service_argument("$(reboot)"));
  CHECK(check_service_argument("it's"));
}

TEST_CASE("passwd fields are printable UTF-8 on one line without ':', and interface names what Linux allows") {
  CHECK_FALSE(check_passwd_field("Zoë Operator, room 3", "gecos"));
  CHECK(check_passwd_field("Op\xff"
                           "erator",
                           "gecos") == "gecos is not valid UTF-8 (byte 3)");
  CHECK(check_passwd_field("Op\xc3", "gecos") == "gecos is not valid UTF-8 (byte 3)");
  CHECK(check_passwd_field("a\nb", "gecos") == "gecos 'a\\nb' holds a control character");
  CHECK(check_passwd_field(std::string("a\0b", 3), "gecos") == "gecos 'a\\x00b' holds a control character");
  CHECK(check_passwd_field("/bin/sh:x", "shell") == "shell '/bin/sh:x' holds ':', the separator of /etc/passwd");
  CHECK_FALSE(check_interface_name("eth0"));
  CHECK_FALSE(check_interface_name("trustnet0.100"));
  for (const char* bad : {"", ".", "..", "eth0:1", "a/b", "a b", "a\tb", "abcdefghijklmnop"})
    CHECK_MESSAGE(check_interface_name(bad), bad);
  CHECK(
      check_interface_name("eth0\nauto x") ==
      "interface name 'eth0\\nauto x' holds a character Linux refuses ('/', ':', white space or a control character)");
}

TEST_CASE("IPv6 addresses compare as addresses, and prefixes bit by bit") {
  CHECK(parse_ipv6("fd10:1234::1") == parse_ipv6("fd10:1234:0:0::0001"));
  CHECK_FALSE(parse_ipv6("fd10::1::2"));
  CHECK(same_prefix(*parse_ipv6("fd10:1234::1"), *parse_ipv6("fd10:1234:ffff::1"), 32));
  CHECK_FALSE(same_prefix(*parse_ipv6("fd10:1234::1"), *parse_ipv6("fd10:1235::1"), 32));
  CHECK(same_prefix(*parse_ipv6("fd10:1234::1"), *parse_ipv6("fd10:1235::1"), 31));
  CHECK(check_image_path("/usr/bin/$(reboot)") == "path '/usr/bin/$(reboot)' holds $, which a shell would act on");
}

TEST_CASE("SHA-256 digests are 64 hexadecimal digits of either case, kept in lower case") {
  const std::string upper = "041FA34A" + std::string(56, 'E');
  CHECK(parse_sha256(upper).value == "041fa34a" + std::string(56, 'e'));
  CHECK_FALSE(parse_sha256(upper).problem);
  CHECK(parse_sha256("abc").problem == "sha256 'abc' must be 64 hexadecimal digits");
  CHECK(parse_sha256(std::string(64, 'g')).problem.has_value());
  CHECK(parse_sha256("abc").value.empty());
}

TEST_CASE("ports are 1 to 65535, and a loopback listen address is 127.0.0.1 or [::1] with one") {
  CHECK(parse_port("1") == 1);
  CHECK(parse_port("65535") == 65535);
  for (const char* bad : {"0", "65536", "", "22 ", "-22", "99999999999"}) CHECK_FALSE(parse_port(bad));
  CHECK(check_port("70000", "https_port") == "https_port '70000' must be a port number from 1 to 65535");
  CHECK_FALSE(check_loopback_listen("127.0.0.1:5000", "listen"));
  CHECK_FALSE(check_loopback_listen("[::1]:65535", "listen"));
  for (const char* bad : {"0.0.0.0:5000", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "[::]:5000", "localhost:5000",
                          "127.0.0.1:5000\n"})
    CHECK(check_loopback_listen(bad, "listen").has_value());
  CHECK(check_loopback_listen("0.0.0.0:5000", "debug_listen") ==
        "debug_listen '0.0.0.0:5000' must be a loopback address and port, such as 127.0.0.1:5000");
}

TEST_CASE("MAC addresses are six lower-case hex bytes of a unicast address") {
  CHECK_FALSE(check_mac_address("52:54:00:12:34:56"));
  CHECK(check_mac_address("52:54:00:12:34") ==
        "mac '52:54:00:12:34' must be six lower-case hex bytes, such as "
        "52:54:00:12:34:56");
  CHECK(check_mac_address("52:54:00:12:34:5G").has_value());
  CHECK(check_mac_address("52:54:00:AB:34:56").has_value());
  CHECK(check_mac_address("01:00:5e:00:00:01") == "mac '01:00:5e:00:00:01' is a multicast address");
}

TEST_CASE("a bridge name is letters, digits, '_', '.' and '-', at most 15, and nothing a command line would split") {
  for (const char* good : {"br0", "trustnet-br", "a.b_c-d", "123456789012345"}) CHECK_FALSE(check_bridge_name(good));
  for (const char* bad : {"", ".", "..", "1234567890123456", "br 0", "br/0", "br:0", "br$0", "br0\n"})
    CHECK(check_bridge_name(bad).has_value());
  CHECK(check_bridge_name("br\n0") == "bridge name 'br\\n0' must be 1 to 15 letters, digits, '_', '.' or '-'");
}

TEST_CASE("CometBFT's moniker, proxy_app and durations, an ACME contact, and what a service is given") {
  CHECK_FALSE(check_moniker("my node"));
  CHECK(check_moniker("").has_value());
  CHECK(check_moniker(std::string(65, 'a')).has_value());
  CHECK(check_moniker("node\"1\"") == "moniker 'node\"1\"' must be 1 to 64 letters, digits, spaces, '.', '_' or '-'");
  for (const char* good : {"kvstore", "persistent_kvstore", "noop", "tcp://127.0.0.1:26658", "unix:///run/app.sock"})
    CHECK_FALSE(check_proxy_app(good));
  CHECK(check_proxy_app("ftp://app") ==
        "proxy_app 'ftp://app' must be kvstore, persistent_kvstore, noop, or a tcp:// or unix:// address");
  for (const char* good : {"1s", "500ms", "10s"}) CHECK_FALSE(check_duration(good, "timeout_commit"));
  for (const char* bad : {"", "0s", "1", "1m", "1.5s", "half a second", "-1s"})
    CHECK(check_duration(bad, "timeout_commit").has_value());
  CHECK(check_duration("1m", "timeout_commit") == "timeout_commit '1m' must be a duration such as 500ms or 1s");
  for (const char* good : {"registry.example.org", "a.b.c.example.co.uk", "xn--bcher-kva.de"})
    CHECK_FALSE(check_public_name(good));
  for (const char* bad : {"registry", "registry.local", "Registry.Example.ORG", "r.trustnet.local", "registry.internal",
                          "nas.lan", "box.home.arpa", "localhost.localdomain", "x.invalid", "203.0.113.5",
                          "fd10:1234::2", "-bad.example.org", "a..example.org"})
    CHECK(check_public_name(bad).has_value());
  CHECK(check_public_name("registry.home.arpa") ==
        "'registry.home.arpa' is a .home.arpa name, private by definition: a public CA cannot certify it");
  CHECK(check_public_name("registry") ==
        "'registry' is a single label: a public CA certifies only fully qualified names");
  CHECK(check_public_name("10.0.0.1") == "'10.0.0.1' is an address: a public CA certifies only names");
  for (const char* good : {"https://acme-v02.api.letsencrypt.org/directory", "https://localhost:14000/dir",
                           "https://ca.example.org/acme/acme/directory"})
    CHECK_FALSE(check_acme_directory(good));
  for (const char* bad : {"", "letsencrypt", "http://ca.example.org/dir", "https://ca example.org/", "https://ca/\"x"})
    CHECK(check_acme_directory(bad).has_value());
  CHECK_FALSE(check_acme_email("ops@example.org"));
  for (const char* bad : {"", "ops", "ops@example", "o ps@example.org", "ops@exa_mple.org", "\"ops\"@example.org"})
    CHECK(check_acme_email(bad).has_value());
  CHECK_FALSE(check_environment_name("GOMAXPROCS"));
  CHECK_FALSE(check_environment_name("_x1"));
  for (const char* bad : {"", "1X", "A-B", "A B", "A=B"}) CHECK(check_environment_name(bad).has_value());
  CHECK_FALSE(check_service_description("CometBFT node"));
  for (const char* bad : {"a \"b\"", "a\\b", "$HOME", "`id`", "a\nb"})
    CHECK(check_service_description(bad).has_value());
  for (const char* good : {"sysinit", "boot", "default", "nonetwork", "shutdown"}) CHECK_FALSE(check_runlevel(good));
  CHECK(check_runlevel("single") == "runlevel 'single' must be one of sysinit, boot, default, nonetwork, shutdown");
  CHECK_FALSE(check_archive_member("cometbft"));
  CHECK_FALSE(check_archive_member("bin/caddy"));
  for (const char* bad : {"", "/cometbft", "../cometbft", "bin/../../x", "a//b"})
    CHECK(check_archive_member(bad).has_value());
}

TEST_CASE("a recipe's input comes from https://, http:// or file:///, and nowhere else") {
  for (const char* good : {"https://example.org/a.tar.gz", "http://mirror/x", "file:///srv/x"})
    CHECK_FALSE(check_input_url(good));
  CHECK(check_input_url("ftp://example.org/a") ==
        "url 'ftp://example.org/a' must start with https://, http:// or file:///");
  for (const char* bad : {"", "file://host/x", "HTTPS://example.org/", "/srv/x"})
    CHECK(check_input_url(bad).has_value());
}

TEST_CASE("the account QEMU runs as has a primary group of its own, never root's or the disks'") {
  CHECK_FALSE(check_run_group(105, "trustnet"));
  CHECK(check_run_group(0, "root").value() ==
        "the primary group root (gid 0) reaches root's files or the host's disks");
  CHECK(check_run_group(0, "wheel").value().find("(gid 0)") != std::string::npos);
  CHECK(check_run_group(6, "disk").value() ==
        "the primary group disk (gid 6) reaches root's files or the host's disks");
}
