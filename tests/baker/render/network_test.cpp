#include "baker/render/network.hpp"

#include <doctest/doctest.h>

using namespace trustnet::baker;

TEST_CASE("interfaces configure the ULA statically and the fallback by DHCP, in ifupdown syntax") {
  NetworkSpec net;
  net.interface = "eth0";
  net.address = "fd10:1234::1";
  net.prefix = 32;
  net.ipv4_fallback_interface = "eth1";
  std::string text = render_interfaces(net);
  CHECK(text.find("auto lo\niface lo inet loopback\n") != std::string::npos);
  CHECK(text.find("auto eth0\niface eth0 inet6 static\n\taddress fd10:1234::1\n\tnetmask 32\n") != std::string::npos);
  CHECK(text.find("auto eth1\niface eth1 inet dhcp\n") != std::string::npos);
  CHECK(text.find("gateway") == std::string::npos);
}

TEST_CASE("interfaces without a fallback have no DHCP stanza, and a gateway when given") {
  NetworkSpec net;
  net.address = "fd10:1234::2";
  net.prefix = 64;
  net.gateway = "fd10:1234::fe";
  std::string text = render_interfaces(net);
  CHECK(text.find("inet dhcp") == std::string::npos);
  CHECK(text.find("\tgateway fd10:1234::fe\n") != std::string::npos);
}

TEST_CASE("hostname and hosts name the appliance on its ULA address") {
  Recipe r;
  r.hostname = "trustnet-node";
  r.domain = "trustnet.local";
  r.network.address = "fd10:1234::1";
  CHECK(render_hostname(r) == "trustnet-node\n");
  std::string hosts = render_hosts(r);
  CHECK(hosts.find("127.0.0.1\tlocalhost") != std::string::npos);
  CHECK(hosts.find("::1\tlocalhost") != std::string::npos);
  CHECK(hosts.find("fd10:1234::1\ttrustnet-node.trustnet.local trustnet-node\n") != std::string::npos);
}
