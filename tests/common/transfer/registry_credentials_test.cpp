#include "common/transfer/registry_credentials.hpp"

#include <doctest/doctest.h>

using namespace trustnet;

TEST_CASE("a WWW-Authenticate challenge parses into its scheme and parameters") {
  const auto basic = parse_auth_challenge("Basic realm=\"trustnet registry\"");
  REQUIRE(basic);
  CHECK(basic->scheme == "basic");
  CHECK(basic->params.at("realm") == "trustnet registry");

  const auto bearer = parse_auth_challenge(
      R"(Bearer realm="https://auth.example.org/token",service="registry.example.org",scope="repository:tn/node:pull,push")");
  REQUIRE(bearer);
  CHECK(bearer->scheme == "bearer");
  CHECK(bearer->params.at("realm") == "https://auth.example.org/token");
  CHECK(bearer->params.at("service") == "registry.example.org");
  CHECK(bearer->params.at("scope") == "repository:tn/node:pull,push");

  const auto escaped = parse_auth_challenge(R"(Basic realm="a \"quoted\" realm", charset=UTF-8)");
  REQUIRE(escaped);
  CHECK(escaped->params.at("realm") == "a \"quoted\" realm");
  CHECK(escaped->params.at("charset") == "UTF-8");

  CHECK_FALSE(parse_auth_challenge(""));
  CHECK_FALSE(parse_auth_challenge("Bearer realm=\"unclosed"));
  CHECK_FALSE(parse_auth_challenge("Bearer realm"));
}

TEST_CASE("Basic authorization carries user and password in base64") {
  CHECK(basic_authorization({"pusher", "secret"}) == "Authorization: Basic cHVzaGVyOnNlY3JldA==");
}
