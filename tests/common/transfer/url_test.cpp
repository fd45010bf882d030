#include "common/transfer/url.hpp"

#include <doctest/doctest.h>

using namespace trustnet;

TEST_CASE("a URL's origin is its scheme, host and port, the default port written") {
  CHECK(url_origin("https://Registry.Example/v2/x") == "https://registry.example:443");
  CHECK(url_origin("http://127.0.0.1:8080/a?b") == "http://127.0.0.1:8080");
  CHECK(url_origin("https://[fd10:1234::2]:8053/v2/") == "https://[fd10:1234::2]:8053");
  CHECK(url_origin("ftp://host/x") == std::nullopt);
  CHECK(url_origin("/relative") == std::nullopt);
  CHECK(url_origin("https://user:secret@host/") == std::nullopt);  // credentials in a URL travel with it
  CHECK(url_origin("https://host/a\r\nb") == std::nullopt);
  CHECK(is_https_url("https://host:1/"));
  CHECK_FALSE(is_https_url("http://host/"));
}

TEST_CASE("a Location header resolves against the request it answers, as RFC 3986 says") {
  const std::string base = "https://127.0.0.1:5000/v2/trustnet/node/blobs/uploads/";
  CHECK(resolve_location(base, "/v2/trustnet/node/blobs/uploads/abc?_state=x") ==
        "https://127.0.0.1:5000/v2/trustnet/node/blobs/uploads/abc?_state=x");
  CHECK(resolve_location(base, "abc") == "https://127.0.0.1:5000/v2/trustnet/node/blobs/uploads/abc");
  CHECK(resolve_location(base, "../x") == "https://127.0.0.1:5000/v2/trustnet/node/blobs/x");
  CHECK(resolve_location(base, "//evil.example/up") == "https://evil.example/up");
  CHECK(url_origin(*resolve_location(base, "//evil.example/up")) != url_origin(base));
  CHECK(resolve_location(base, "http://127.0.0.1:5000/up") == "http://127.0.0.1:5000/up");
  CHECK(resolve_location(base, "file:///etc/shadow") == std::nullopt);
  CHECK(resolve_location(base, "/up\nX: y") == std::nullopt);
}

TEST_CASE("a file name is one segment of a URL's path, whatever it holds") {
  CHECK(url_path_segment("node.manifest.json") == "node.manifest.json");
  CHECK(url_path_segment("a b?c#d/e%") == "a%20b%3Fc%23d%2Fe%25");
  CHECK(url_path_segment("\xc3\xa9") == "%C3%A9");
}
