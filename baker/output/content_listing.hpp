#pragma once
// The content listing of an image's root filesystem: every file with type, mode, owner, size,
// SHA-256, symlink target and extended attributes (names and value digests), in mtree format. Whether read from a tar
// (through libarchive's mtree writer) or derived from a base's listing and a bake's edits, it is rendered by one
// function in one order (paths sorted, keywords in a fixed order), so the same tree is the same
// text. Times are left out: they say when a bake ran, not what it made.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace trustnet::baker {

// The listing of an uncompressed tar of a root filesystem (numeric owners), as mtree text.
std::string mtree_from_tar(const std::filesystem::path& tar);

struct ListedFile {
  std::map<std::string, std::string> keywords;  // type, mode, uid, gid, size, sha256digest, link, xattrs
};
using Listing = std::map<std::string, ListedFile>;  // by path, "./etc/passwd"

// The listing as mtree text: "#mtree", then a line per path in byte order; keywords mode, gid,
// uid, type, size, sha256digest, link, then any other in name order; white space, '#', '=',
// '\\' and bytes outside printable ASCII escaped as \ and three octal digits.
std::string render_mtree(const Listing& listing);

// How many entries mtree text lists (its lines but the "#mtree" header).
size_t listing_entries(const std::string& mtree_text);

// Reads mtree text as mtree_from_tar writes it; `source` names it in errors.
Listing parse_mtree(const std::string& text, const std::string& source);

struct ListingDiff {
  std::vector<std::string> added, removed;
  std::vector<std::pair<std::string, std::vector<std::string>>> changed;  // path, "mode 644 -> 600"
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

ListingDiff diff_listings(const Listing& before, const Listing& after);
// For operators: "added ./x", "removed ./y", "changed ./z: sha256digest, size 10 -> 12".
std::string render_diff(const ListingDiff& diff);

}  // namespace trustnet::baker
