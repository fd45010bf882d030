#include "launcher/run/run_user.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/config/rules.hpp"
#include "common/util/error.hpp"
#include "common/util/private_folder.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

namespace {

std::optional<FolderFacts> folder_facts(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw Error(fmt::format("cannot read the state folder {}: {}", dir.string(), std::strerror(errno)));
  }
  FolderFacts facts{S_ISDIR(st.st_mode), st.st_uid, false};
  if (facts.is_folder) {
    DIR* listing = ::opendir(dir.c_str());
    if (!listing) return facts;  // another's folder: its owner says what to do
    facts.empty = true;
    while (const dirent* entry = ::readdir(listing))
      if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) facts.empty = false;
    ::closedir(listing);
  }
  return facts;
}

Error never_initialised(const fs::path& state) {
  return Error(fmt::format("there is no state folder {}: `launch init` has not run with this configuration; run "
                           "`{}launch init` first",
                           state.string(), ::geteuid() == 0 ? "sudo " : ""),
               ExitCode::bad_input);
}

// Root makes the missing folders above as root's (0755: the account must pass through them)
// and the state folder itself as the account's alone.
void create_state_folder(const fs::path& state) {
  std::vector<fs::path> missing;
  for (fs::path p = state; !p.empty() && !fs::exists(fs::symlink_status(p)); p = p.parent_path()) missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    const bool last = *it == state;
    if (::mkdir(it->c_str(), last ? 0700 : 0755) != 0 && errno != EEXIST)
      throw Error(fmt::format("cannot create {}: {}", it->string(), std::strerror(errno)));
  }
}

void give_to(const fs::path& state, const Account& account) {
  if (::lchown(state.c_str(), account.uid, account.gid) != 0 || ::chmod(state.c_str(), 0700) != 0)
    throw Error(
        fmt::format("cannot give the state folder {} to {}: {}", state.string(), account.name, std::strerror(errno)));
}

void drop_to(const Account& account) {
  if (::setgroups(account.groups.size(), account.groups.data()) != 0 ||
      ::setresgid(account.gid, account.gid, account.gid) != 0 ||
      ::setresuid(account.uid, account.uid, account.uid) != 0)
    throw Error(fmt::format("cannot become user {}: {}", account.name, std::strerror(errno)));
  // Dropped for good: root cannot be taken back.
  if (::setresuid(0, 0, 0) == 0 || ::geteuid() != account.uid)
    throw Error(fmt::format("launch could not drop root's privileges for user {}", account.name));
  ::setenv("HOME", account.home.c_str(), 1);
}

// The first folder on the way to the state folder that the account may not pass through.
void require_reachable(const fs::path& state, const Account& account) {
  fs::path walked = state.root_path();
  for (const auto& part : state.relative_path()) {
    walked /= part;
    if (::access(walked.c_str(), X_OK) == 0) continue;
    const int cause = errno;
    if (cause == ENOENT) return;
    struct stat st {};
    const std::string facts = ::stat(walked.c_str(), &st) == 0
                                  ? fmt::format(" (mode {:04o}, {}'s)", st.st_mode & 07777, account_name(st.st_uid))
                                  : "";
    throw Error(
        fmt::format("user {} cannot reach the state folder {}: {}{}: {}; choose a state folder it can reach "
                    "(state: in the configuration, or --state)",
                    account.name, state.string(), walked.string(), facts, std::strerror(cause)));
  }
}

}  // namespace

std::string account_name(uid_t uid) {
  if (const passwd* entry = ::getpwuid(uid)) return entry->pw_name;
  return fmt::format("uid {}", uid);
}

Account find_account(const std::string& name, const fs::path& config_file) {
  errno = 0;
  const passwd* entry = ::getpwnam(name.c_str());
  if (!entry)
    throw Error(fmt::format("launch runs QEMU as user {}, which does not exist: install the trustnet package (it makes "
                            "the account), run `adduser --system --group {}`, or name another with `user:` in {}",
                            name, name, config_file.string()),
                ExitCode::bad_input);
  if (entry->pw_uid == 0)
    throw Error(
        fmt::format("user {} in {} has uid 0: QEMU must not run with root's privileges", name, config_file.string()),
        ExitCode::bad_input);
  Account account{entry->pw_name, entry->pw_uid, entry->pw_gid, {}, entry->pw_dir};
  // A primary group that reaches root's files or raw disks would give QEMU, and anything that
  // escapes it, what the account was made to keep it from.
  const group* primary = ::getgrgid(account.gid);
  if (auto problem = check_run_group(account.gid, primary ? primary->gr_name : ""))
    throw Error(fmt::format("user {} in {} has {}: QEMU must not run with it; give the account a group of its own "
                            "(adduser --system --group)",
                            name, config_file.string(), *problem),
                ExitCode::bad_input);
  int count = 16;
  account.groups.resize(static_cast<size_t>(count));
  while (::getgrouplist(account.name.c_str(), account.gid, account.groups.data(), &count) < 0)
    account.groups.resize(static_cast<size_t>(count));
  account.groups.resize(static_cast<size_t>(count));
  return account;
}

Handover plan_handover(const fs::path& state, const std::optional<FolderFacts>& facts, const Account& account,
                       StateUse use) {
  if (!facts) {
    if (use != StateUse::create) throw never_initialised(state);
    return Handover::create;
  }
  if (!facts->is_folder)
    throw Error(
        fmt::format("the state folder {} is not a folder; move it away or choose another state folder", state.string()),
        ExitCode::bad_input);
  if (facts->owner == account.uid) return Handover::none;
  if (facts->owner == 0 && facts->empty) return Handover::take;
  if (facts->owner == 0)
    throw Error(fmt::format("the state folder {} is root's, but launch keeps it and runs QEMU as user {}: give it to "
                            "{} with `chown -R {}: {}` (the service's StateDirectory= does so by itself)",
                            state.string(), account.name, account.name, account.name, state.string()),
                ExitCode::bad_input);
  throw Error(fmt::format("the state folder {} belongs to {}, not to {} (the configuration's user:); choose another "
                          "state folder or name its owner with user:",
                          state.string(), account_name(facts->owner), account.name),
              ExitCode::bad_input);
}

uid_t become_run_user(const LaunchConfig& config, StateUse use) {
  const fs::path& state = config.state_dir;
  if (::geteuid() != 0) {
    const std::optional<FolderFacts> facts = folder_facts(state);
    if (!facts && use != StateUse::create) throw never_initialised(state);
    if (facts && facts->is_folder && facts->owner != ::geteuid())
      throw Error(fmt::format("the state folder {} belongs to {}, not to you ({}): run `sudo launch …`, which acts "
                              "as {}, or choose a state folder of yours with --state",
                              state.string(), account_name(facts->owner), account_name(::geteuid()),
                              account_name(facts->owner)),
                  ExitCode::bad_input);
    return ::geteuid();
  }
  const Account account = find_account(config.run_user, config.file);
  // Before anything is made or handed over: never a folder that others could swap meanwhile.
  check_folders_above(state, kSecretsPurpose, account.uid);
  switch (plan_handover(state, folder_facts(state), account, use)) {
    case Handover::create:
      create_state_folder(state);
      give_to(state, account);
      break;
    case Handover::take: give_to(state, account); break;
    case Handover::none: break;
  }
  if (use == StateUse::inspect) return account.uid;
  drop_to(account);
  require_reachable(state, account);
  return account.uid;
}

}  // namespace trustnet::launcher
