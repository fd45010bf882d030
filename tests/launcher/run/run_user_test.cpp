// Whom launch runs as: what root does with the state folder before it becomes the run user, and
// the accounts it refuses.
#include "launcher/run/run_user.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "common/util/error.hpp"
#include "support/run_user.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

namespace {

const Account kTrustnet{"trustnet", 105, 113, {113, 108}, "/var/lib/trustnet"};
const std::filesystem::path kState = "/var/lib/trustnet";

FolderFacts folder(uid_t owner, bool empty) { return {true, owner, empty}; }

}  // namespace

TEST_CASE("root makes a missing state folder, takes over an empty one of its own, and uses the run user's as it is") {
  CHECK(plan_handover(kState, std::nullopt, kTrustnet, StateUse::create) == Handover::create);
  CHECK(plan_handover(kState, folder(0, true), kTrustnet, StateUse::create) == Handover::take);
  CHECK(plan_handover(kState, folder(0, true), kTrustnet, StateUse::read) == Handover::take);
  CHECK(plan_handover(kState, folder(105, false), kTrustnet, StateUse::read) == Handover::none);
  CHECK(plan_handover(kState, folder(105, true), kTrustnet, StateUse::inspect) == Handover::none);
}

TEST_CASE("what root must not hand over is refused with the fix, and reading never makes a state folder") {
  for (const StateUse use : {StateUse::read, StateUse::inspect})
    CHECK_THROWS_WITH_AS(plan_handover(kState, std::nullopt, kTrustnet, use),
                         doctest::Contains("there is no state folder /var/lib/trustnet: `launch init` has not run "
                                           "with this configuration"),
                         Error);
  // An older launcher's state folder, full of root's files: handed over only by an explicit chown.
  CHECK_THROWS_WITH_AS(plan_handover(kState, folder(0, false), kTrustnet, StateUse::create),
                       "the state folder /var/lib/trustnet is root's, but launch keeps it and runs QEMU as user "
                       "trustnet: give it to trustnet with `chown -R trustnet: /var/lib/trustnet` (the service's "
                       "StateDirectory= does so by itself)",
                       Error);
  CHECK_THROWS_WITH_AS(plan_handover(kState, folder(4242, true), kTrustnet, StateUse::create),
                       doctest::Contains("belongs to uid 4242, not to trustnet (the configuration's user:)"), Error);
  CHECK_THROWS_WITH_AS(plan_handover(kState, FolderFacts{false, 0, false}, kTrustnet, StateUse::create),
                       doctest::Contains("/var/lib/trustnet is not a folder"), Error);
}

TEST_CASE("the run user is a real account other than root, with its supplementary groups") {
  CHECK_THROWS_WITH_AS(find_account("root", "/etc/trustnet/launch.yaml"),
                       "user root in /etc/trustnet/launch.yaml has uid 0: QEMU must not run with root's privileges",
                       Error);
  CHECK_THROWS_WITH_AS(find_account("no-such-account", "/etc/trustnet/launch.yaml"),
                       "launch runs QEMU as user no-such-account, which does not exist: install the trustnet package "
                       "(it makes the account), run `adduser --system --group no-such-account`, or name another with "
                       "`user:` in /etc/trustnet/launch.yaml",
                       Error);
  const Account account = find_account("trustnet", "/etc/trustnet/launch.yaml");
  CHECK(account.uid == test::run_user().pw_uid);
  CHECK(account.gid == test::run_user().pw_gid);
  CHECK(std::find(account.groups.begin(), account.groups.end(), account.gid) != account.groups.end());
}
