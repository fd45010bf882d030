#include "baker/render/accounts.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "support/fixture_files.hpp"
#include "support/text_lines.hpp"

using namespace trustnet;
using namespace trustnet::baker;

namespace {

AccountFiles alpine_accounts() {
  return {test::fixture_file("etc/passwd"), test::fixture_file("etc/group"), test::fixture_file("etc/shadow")};
}

UserSpec warden() {
  UserSpec user;
  user.name = "warden";
  user.uid = 1100;
  user.gecos = "TrustNet node operator";
  user.groups = {"wheel"};
  return user;
}

size_t line_count(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("adding a user to Alpine's real account files appends one line to each and keeps the rest") {
  AccountFiles base = alpine_accounts();
  REQUIRE(test::lines_starting(base.passwd, "root:").size() == 1);
  AccountFiles out = apply_users(base, {warden()});
  CHECK(test::lines_starting(out.passwd, "warden:") ==
        std::vector<std::string>{"warden:x:1100:1100:TrustNet node operator:/home/warden:/bin/ash"});
  CHECK(test::lines_starting(out.shadow, "warden:") == std::vector<std::string>{"warden:*::0:99999:7:::"});
  CHECK(test::lines_starting(out.group, "warden:") == std::vector<std::string>{"warden:x:1100:"});
  auto wheel = test::lines_starting(out.group, "wheel:");
  REQUIRE(wheel.size() == 1);
  CHECK(wheel[0].substr(wheel[0].size() - 7) == ",warden");
  CHECK(line_count(out.passwd) == line_count(base.passwd) + 1);
  CHECK(line_count(out.shadow) == line_count(base.shadow) + 1);
  CHECK(out.passwd.substr(0, base.passwd.size()) == base.passwd);
}

TEST_CASE("applying the same users twice changes nothing: users are updated, never duplicated") {
  AccountFiles once = apply_users(alpine_accounts(), {warden()});
  AccountFiles twice = apply_users(once, {warden()});
  CHECK(twice.passwd == once.passwd);
  CHECK(twice.group == once.group);
  CHECK(twice.shadow == once.shadow);
}

TEST_CASE("a user already in the base is updated in place to the recipe's values") {
  AccountFiles base = alpine_accounts();
  base.passwd += "warden:x:1100:1100:old:/home/old:/bin/sh\n";
  base.shadow += "warden:!:19000:0:99999:7:::\n";
  base.group += "warden:x:1100:\n";
  AccountFiles out = apply_users(base, {warden()});
  CHECK(test::lines_starting(out.passwd, "warden:") ==
        std::vector<std::string>{"warden:x:1100:1100:TrustNet node operator:/home/warden:/bin/ash"});
  // '!' locks the account and OpenSSH would refuse its keys; '*' keeps key-only login working.
  CHECK(test::lines_starting(out.shadow, "warden:") == std::vector<std::string>{"warden:*:19000:0:99999:7:::"});
}

TEST_CASE("membership of supplementary groups is exactly the recipe's") {
  AccountFiles base = alpine_accounts();
  base.group += "docker:x:2000:warden\n";
  AccountFiles out = apply_users(base, {warden()});
  CHECK(test::lines_starting(out.group, "docker:") == std::vector<std::string>{"docker:x:2000:"});
}

TEST_CASE("a uid taken by another account or a missing group is an error that says so") {
  UserSpec clash = warden();
  clash.uid = 0;
  CHECK_THROWS_WITH(apply_users(alpine_accounts(), {clash}),
                    doctest::Contains("uid 0 of user warden is already used by 'root'"));
  UserSpec lonely = warden();
  lonely.groups = {"no-such-group"};
  CHECK_THROWS_WITH(apply_users(alpine_accounts(), {lonely}),
                    doctest::Contains("group 'no-such-group' of user warden does not exist"));
}

TEST_CASE("owner names resolve through the account files and numbers pass through") {
  AccountFiles out = apply_users(alpine_accounts(), {warden()});
  CHECK(find_uid(out.passwd, "root") == 0u);
  CHECK(find_uid(out.passwd, "warden") == 1100u);
  CHECK(find_gid(out.group, "wheel") == 10u);
  CHECK(find_gid(out.group, "shadow") == 42u);
  CHECK(find_uid(out.passwd, "4242") == 4242u);
  CHECK_FALSE(find_uid(out.passwd, "ghost"));
}

TEST_CASE(
    "removing the cloud image's default user deletes its lines, its own group and its memberships, and keeps the "
    "rest") {
  // The production base's `alpine` user, as Alpine's cloud images add it, on the fixture's real files.
  AccountFiles base = alpine_accounts();
  base.passwd += "alpine:x:1000:1000:Linux User,,,:/home/alpine:/bin/sh\n";
  base.shadow += "alpine:*:19000:0:99999:7:::\n";
  base.group += "alpine:x:1000:\n";
  std::string group;
  for (const auto& line : test::lines_starting(base.group, ""))
    group += (line.starts_with("wheel:") ? line + ",alpine" : line) + "\n";
  base.group = group;
  const AccountRemoval out = remove_users(base, {"alpine", "nobody-here"});
  REQUIRE(out.removed.size() == 1);
  CHECK(out.removed[0].name == "alpine");
  CHECK(out.removed[0].uid == "1000");
  CHECK(out.removed[0].home == "/home/alpine");
  CHECK(out.removed[0].group_removed);
  CHECK(out.removed[0].left_groups == std::vector<std::string>{"wheel"});
  CHECK(out.absent == std::vector<std::string>{"nobody-here"});
  const AccountFiles fixture = alpine_accounts();
  CHECK(out.files.passwd == fixture.passwd);  // exactly the base without the user's line
  CHECK(out.files.shadow == fixture.shadow);
  CHECK(out.files.group == fixture.group);
  // A recipe user may then take the freed uid.
  UserSpec taker = warden();
  taker.uid = 1000;
  CHECK_NOTHROW(apply_users(out.files, {taker}));
}

TEST_CASE("a removed user's group stays when another account has it as primary group") {
  AccountFiles base{
      "root:x:0:0:root:/root:/bin/ash\nold:x:1000:1000::/home/old:/bin/sh\nfriend:x:1001:1000::/home/friend:/bin/sh\n",
      "root:x:0:root\nold:x:1000:\n", "root:*::0:::::\nold:*::0:::::\nfriend:*::0:::::\n"};
  const AccountRemoval out = remove_users(base, {"old"});
  REQUIRE(out.removed.size() == 1);
  CHECK_FALSE(out.removed[0].group_removed);
  CHECK(out.files.group == base.group);
  CHECK(out.files.passwd == "root:x:0:0:root:/root:/bin/ash\nfriend:x:1001:1000::/home/friend:/bin/sh\n");
  CHECK(out.files.shadow == "root:*::0:::::\nfriend:*::0:::::\n");
}

TEST_CASE("a recipe user or group that clashes with an account of the base is refused, naming both") {
  UserSpec sshd = warden();
  sshd.name = "sshd";  // Alpine's sshd is 22:22 in the fixture's real files
  sshd.uid = 1200;
  CHECK_THROWS_WITH_AS(apply_users(alpine_accounts(), {sshd}),
                       doctest::Contains("recipe user sshd (uid 1200) clashes with the base's account 'sshd:x:22:22:"),
                       Error);
  UserSpec disk = warden();  // no user "disk" in the base, but a group "disk" (gid 6)
  disk.name = "disk";
  disk.uid = 1300;
  CHECK_THROWS_WITH_AS(apply_users(alpine_accounts(), {disk}),
                       "the group of recipe user disk (gid 1300) clashes with the base's group 'disk:x:6:root' in "
                       "/etc/group; choose another name",
                       Error);
}
