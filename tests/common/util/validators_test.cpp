#include "common/util/validators.hpp"

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

TEST_CASE("modes are three or four octal digits") {
  CHECK(parse_mode("0750") == 0750u);
  CHECK(parse_mode("644") == 0644u);
  CHECK(parse_mode("4755") == 04755u);
  CHECK_FALSE(parse_mode("0999"));
  CHECK_FALSE(parse_mode("75"));
  CHECK_FALSE(parse_mode("rwx"));
}

TEST_CASE("sizes take K, M, G and T suffixes in powers of 1024") {
  CHECK(parse_size("50G") == 50ULL << 30);
  CHECK(parse_size("512M") == 512ULL << 20);
  CHECK(parse_size("1024") == 1024u);
  CHECK_FALSE(parse_size("50Q"));
  CHECK_FALSE(parse_size("G"));
  CHECK_FALSE(parse_size("0G"));
  CHECK_FALSE(parse_size("-1G"));
  CHECK(format_size(50ULL << 30) == "50G");
  CHECK(format_size(1000) == "1000");
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

TEST_CASE("whole numbers are decimal digits only and within their bounds, whatever their length") {
  CHECK(is_decimal("0"));
  CHECK(is_decimal("0042"));
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1e3", "0x10", "１"}) CHECK_FALSE(is_decimal(bad));
  CHECK(parse_bounded_uint("0", 0, 10) == 0u);
  CHECK(parse_bounded_uint("10", 0, 10) == 10u);
  CHECK_FALSE(parse_bounded_uint("11", 0, 10));
  CHECK_FALSE(parse_bounded_uint("4", 5, 10));
  CHECK(parse_bounded_uint("18446744073709551615", 0, UINT64_MAX) == std::nullopt);  // 20 digits: refused, no overflow
  CHECK(parse_bounded_uint("9999999999999999999", 0, UINT64_MAX) == 9999999999999999999ull);
  CHECK_FALSE(parse_bounded_uint("99999999999999999999999", 0, UINT64_MAX));
  CHECK(parse_port("1") == 1);
  CHECK(parse_port("65535") == 65535);
  for (const char* bad : {"0", "65536", "", "22 ", "-22", "99999999999"}) CHECK_FALSE(parse_port(bad));
}

TEST_CASE("SHA-256 digests are 64 hexadecimal digits of either case, kept in lower case") {
  const std::string upper = "041FA34A" + std::string(56, 'E');
  CHECK(parse_sha256(upper).value == "041fa34a" + std::string(56, 'e'));
  CHECK_FALSE(parse_sha256(upper).problem);
  CHECK(parse_sha256("abc").problem == "sha256 'abc' must be 64 hexadecimal digits");
  CHECK(parse_sha256(std::string(64, 'g')).problem.has_value());
  CHECK(parse_sha256("abc").value.empty());
}
