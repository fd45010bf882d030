#pragma once
// Folders that hold secrets (the launcher's state: CA key, instance keys, disks after first boot),
// and caches whose entries are trusted once verified.
// As sshd's StrictModes: such a folder, and every folder in it, must be owned by the caller and
// not writable by its group or others, or a planted file (a CA key, a link) could be used; the
// folders above it must be owned by root or the caller and not writable by others unless sticky
// (/tmp), or the whole folder could be swapped. Made by us, they are 0700.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace trustnet {

constexpr std::string_view kSecretsPurpose = "folders that hold instance secrets";

// Creates `dir` and the folders it needs (0700), then checks it as check_private_tree does.
void make_private_folder(const std::filesystem::path& dir, std::string_view purpose = kSecretsPurpose);

// Checks `root`, every folder and file below it and the folders above it: no file below is a
// symbolic link, owned by another user or writable by others. Throws Error (bad input) naming
// the first one at fault, what is wrong with it and `purpose` (what the tree is for).
void check_private_tree(const std::filesystem::path& root, std::string_view purpose = kSecretsPurpose);
// The same for a tree that is `owner`'s rather than the caller's (root looking at the run user's).
void check_private_tree(const std::filesystem::path& root, std::string_view purpose, uid_t owner);
// The folders above `dir` that exist, alone: checked before a folder is made or handed over, so
// that root never makes or gives away a folder that others could swap.
void check_folders_above(const std::filesystem::path& dir, std::string_view purpose, uid_t owner);

// Why a file whose content decides what launch does as root (a configuration, a trusted public
// key) cannot be trusted: unreadable or not a regular file, owned by another than root or the
// caller (getuid), writable by its group or others, or in a folder others could swap it in. `what`
// names it ("launcher configuration"). Nothing when it can be trusted.
std::optional<std::string> untrusted_file(const std::filesystem::path& file, std::string_view what);

}  // namespace trustnet
