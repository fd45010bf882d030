#include "common/util/encoding.hpp"

#include <doctest/doctest.h>

#include "common/util/error.hpp"

using namespace trustnet;

namespace {
std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
}  // namespace

TEST_CASE("base64 matches the RFC 4648 test vectors both ways") {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(bytes(plain)) == encoded);
    CHECK(base64_decode(encoded) == bytes(plain));
  }
  CHECK_THROWS_AS(base64_decode("Zm9"), Error);
  CHECK_THROWS_AS(base64_decode("Zm9*"), Error);
}

TEST_CASE("hex round-trips in both cases and refuses what is not hex") {
  CHECK(hex_lower(bytes("\x01\xab\xff")) == "01abff");
  CHECK(hex_upper(bytes("\x01\xab\xff")) == "01ABFF");
  CHECK(hex_decode("01ABff") == bytes("\x01\xab\xff"));
  CHECK_THROWS_AS(hex_decode("abc"), Error);
  CHECK_THROWS_AS(hex_decode("zz"), Error);
}
