#pragma once
// Whom launch runs as. Started by root, every command but `launch network` becomes the
// configuration's `user:` (trustnet) for good before it touches the state folder, so the state
// folder, the instance disks and every QEMU are that account's, and nothing running as root
// writes in a folder another account owns. Started by anyone else, launch stays itself.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"

namespace trustnet::launcher {

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // its supplementary groups (kvm, for /dev/kvm)
  std::filesystem::path home;
};

// The name of a uid, else "uid N".
std::string account_name(uid_t uid);

// The account of that name; a missing one is refused with the ways to make or name one.
Account find_account(const std::string& name, const std::filesystem::path& config_file);

enum class StateUse {
  create,   // init, pull, start: the state folder is made when missing
  read,     // status, logs, export, stop: a missing state folder means `launch init` never ran
  inspect,  // ssh: as read, but root stays root (to read the caller's key), touching nothing
};

// What lstat said about the state folder (nullopt: it does not exist).
struct FolderFacts {
  bool is_folder = false;
  uid_t owner = 0;
  bool empty = false;
};

enum class Handover {
  none,    // it is the account's already
  create,  // missing: root makes it, the account's, 0700
  take,    // an empty folder of root's (made by `install -d`, say): given to the account
};

// Root's part before it becomes `account`; refuses what root must not hand over (a folder with
// root's files in it, another account's folder) with the fix. Pure.
Handover plan_handover(const std::filesystem::path& state, const std::optional<FolderFacts>& facts,
                       const Account& account, StateUse use);

// As root: carries out plan_handover, then drops to the account (groups, gid, uid, HOME) for
// good and checks it can reach the state folder (for StateUse::inspect, root stays root). As
// anyone else: checks the state folder is theirs to use. Either way, unless StateUse::create, a
// missing state folder is refused, naming init. Returns the uid the state folder must belong to.
uid_t become_run_user(const LaunchConfig& config, StateUse use);

}  // namespace trustnet::launcher
