#pragma once
// Folders that hold secrets (the launcher's state: CA key, instance keys, disks after first boot).
// As sshd's StrictModes: such a folder, and every folder in it, must be owned by the caller and
// not writable by its group or others, or a planted file (a CA key, a link) could be used; the
// folders above it must be owned by root or the caller and not writable by others unless sticky
// (/tmp), or the whole folder could be swapped. Made by us, they are 0700.
#include <filesystem>

namespace trustnet {

// Creates `dir` and the folders it needs (0700), then checks it as check_private_tree does.
void make_private_folder(const std::filesystem::path& dir);

// Checks `root`, every folder below it and the folders above it; throws Error (bad input) naming
// the first folder at fault and what is wrong with it.
void check_private_tree(const std::filesystem::path& root);

}  // namespace trustnet
