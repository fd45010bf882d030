#include "launcher/identity/htpasswd.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <set>

#include "common/util/error.hpp"
#include "common/util/process.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

TEST_CASE("generated passwords are letters and digits, of the length asked, and differ") {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    std::string password = generate_password();
    CHECK(password.size() == 24);
    CHECK(std::regex_match(password, std::regex("[A-Za-z0-9]{24}")));
    seen.insert(password);
  }
  CHECK(seen.size() == 20);
  CHECK(generate_password(40).size() == 40);
}

TEST_CASE("an htpasswd line holds a bcrypt hash that the system's crypt() accepts for the password only") {
  const std::string password = generate_password();
  const std::string line = htpasswd_line("keeper", password);
  REQUIRE(std::regex_match(line, std::regex(R"(keeper:\$2b\$10\$[./A-Za-z0-9]{53}\n)")));
  const std::string hash = line.substr(7, line.size() - 8);
  CHECK(bcrypt_matches(password, hash));
  CHECK_FALSE(bcrypt_matches(password + "x", hash));
  // Checked again by Python's crypt module, as a separate reader of the format.
  const std::string check = "import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])";
  CHECK(run_process({"python3", "-W", "ignore", "-c", check, password, hash}).out == "True\n");
  CHECK(run_process({"python3", "-W", "ignore", "-c", check, "wrong", hash}).out == "False\n");
  CHECK(htpasswd_line("keeper", password) != line);  // a fresh salt each time
  CHECK_THROWS_AS(htpasswd_line("kee:per", password), Error);
  CHECK_THROWS_AS(bcrypt_hash(std::string(73, 'a')), Error);
}
