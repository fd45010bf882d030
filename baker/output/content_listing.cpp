#include "baker/output/content_listing.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "common/handles/archive_handle.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

// The paths that hard links of the tar point at (a first pass over its headers only).
std::set<std::string> hard_link_targets(const fs::path& tar) {
  ArchiveReader reader(archive_read_new());
  if (!reader) throw Error("libarchive: out of memory");
  if (archive_read_support_format_tar(reader.get()) != ARCHIVE_OK ||
      archive_read_open_filename(reader.get(), tar.c_str(), 1 << 20) != ARCHIVE_OK)
    throw Error(fmt::format("reading {}: {}", tar.string(), archive_message(reader.get())));
  std::set<std::string> targets;
  archive_entry* entry = nullptr;
  for (int rc; (rc = archive_read_next_header(reader.get(), &entry)) != ARCHIVE_EOF;) {
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      throw Error(fmt::format("reading {}: {}", tar.string(), archive_message(reader.get())));
    if (const char* target = archive_entry_hardlink(entry)) targets.insert(target);
  }
  return targets;
}

// An entry's extended attributes as the value of the listing's "xattrs" keyword: NAME:DIGEST
// (the first 16 hex digits of the value's SHA-256) for each, in name order, joined by ','; a
// ',', ':' or '%' in a name written %2C, %3A, %25. Empty when it has none.
std::string attributes_keyword(archive_entry* entry) {
  std::set<std::string> found;  // a pax tar may carry one twice (SCHILY.xattr and LIBARCHIVE.xattr)
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  archive_entry_xattr_reset(entry);
  while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
    std::string written;
    for (const char c : std::string_view(name))
      written += c == ',' ? "%2C" : c == ':' ? "%3A" : c == '%' ? "%25" : std::string(1, c);
    found.insert(written + ":" + sha256_hex(std::string_view(static_cast<const char*>(value), size)).substr(0, 16));
  }
  return fmt::format("{}", fmt::join(found, ","));
}

}  // namespace

std::string mtree_from_tar(const fs::path& tar) {
  const std::set<std::string> linked = hard_link_targets(tar);
  ArchiveReader reader(archive_read_new());
  ArchiveWriter writer(archive_write_new());
  if (!reader || !writer) throw Error("libarchive: out of memory");
  auto check_read = [&](int rc, const std::string& what) {
    if (rc != ARCHIVE_OK)
      throw Error(fmt::format("reading {}: {}: {}", tar.string(), what, archive_message(reader.get())));
  };
  auto check_write = [&](int rc, const std::string& what) {
    if (rc != ARCHIVE_OK)
      throw Error(fmt::format("writing the listing of {}: {}: {}", tar.string(), what, archive_message(writer.get())));
  };
  check_read(archive_read_support_format_tar(reader.get()), "tar format");
  check_read(archive_read_open_filename(reader.get(), tar.c_str(), 1 << 20), "open");
  check_write(archive_write_set_format_mtree(writer.get()), "mtree format");
  // Type, mode, owner ids, size, SHA-256 and link targets; no times, names, devices or link counts.
  check_write(archive_write_set_options(writer.get(), "!device,!flags,!gname,!nlink,!time,!uname,sha256"), "options");
  std::string text;
  // The listing is small (a line a file): kept in memory, handed back whole.
  check_write(archive_write_open(
                  writer.get(), &text, nullptr,
                  [](archive*, void* out, const void* data, size_t size) -> la_ssize_t {
                    static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
                    return static_cast<la_ssize_t>(size);
                  },
                  nullptr),
              "open");
  archive_entry* entry = nullptr;
  std::vector<char> buffer(1 << 20);
  // A hard link is listed as the file it is, with size and digest, whichever name the tar
  // carried the data under: the contents of multiply linked files are kept for their links.
  std::map<std::string, std::string> linked_contents;
  size_t linked_bytes = 0;
  std::map<std::string, std::string> attributes;  // by path, for the entries that have any
  for (;;) {
    const int rc = archive_read_next_header(reader.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    check_read(rc == ARCHIVE_WARN ? ARCHIVE_OK : rc, "next entry");
    // The root as "." however the tar spelled it ("./" from tar_out of "/").
    if (std::string(archive_entry_pathname(entry)) == "./") archive_entry_set_pathname(entry, ".");
    const std::string path = archive_entry_pathname(entry);
    if (const char* target = archive_entry_hardlink(entry)) {
      if (auto kept = attributes.find(target); kept != attributes.end()) attributes[path] = kept->second;
      auto content = linked_contents.find(target);
      if (content == linked_contents.end())
        throw Error(
            fmt::format("reading {}: {} links to {}, which came before it with no data", tar.string(), path, target));
      archive_entry_set_hardlink(entry, nullptr);
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_size(entry, static_cast<la_int64_t>(content->second.size()));
      check_write(archive_write_header(writer.get(), entry), path);
      if (archive_write_data(writer.get(), content->second.data(), content->second.size()) !=
          static_cast<la_ssize_t>(content->second.size()))
        check_write(ARCHIVE_FATAL, path);
      continue;
    }
    if (std::string listed = attributes_keyword(entry); !listed.empty()) attributes[path] = std::move(listed);
    const bool keep = archive_entry_filetype(entry) == AE_IFREG && linked.contains(path);
    std::string kept;
    check_write(archive_write_header(writer.get(), entry), path);
    for (;;) {
      const la_ssize_t got = archive_read_data(reader.get(), buffer.data(), buffer.size());
      if (got < 0) check_read(static_cast<int>(got), path);
      if (got <= 0) break;
      if (archive_write_data(writer.get(), buffer.data(), static_cast<size_t>(got)) != got)
        check_write(ARCHIVE_FATAL, path);
      if (keep) kept.append(buffer.data(), static_cast<size_t>(got));
    }
    if (keep) {
      linked_bytes += kept.size();
      if (linked_bytes > (512u << 20))
        throw Error(fmt::format("reading {}: more than 512 MiB of hard-linked files", tar.string()));
      linked_contents.emplace(path, std::move(kept));
    }
  }
  check_write(archive_write_close(writer.get()), "close");
  Listing listing = parse_mtree(text, tar.string());
  for (auto& [path, listed] : attributes)
    if (auto file = listing.find(path); file != listing.end()) file->second.keywords["xattrs"] = std::move(listed);
  return render_mtree(listing);
}

namespace {

// mtree escapes white space and backslashes as \ and three octal digits (at most \377).
std::string unescape(const std::string& word, const std::string& where) {
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] != '\\') {
      out += word[i];
      continue;
    }
    const auto octal = [&](size_t k) { return k < word.size() && word[k] >= '0' && word[k] <= '7'; };
    if (!octal(i + 1) || !octal(i + 2) || !octal(i + 3) || word[i + 1] > '3')
      throw Error(fmt::format("{}: a backslash not followed by three octal digits up to 377", where),
                  ExitCode::bad_input);
    out += static_cast<char>((word[i + 1] - '0') * 64 + (word[i + 2] - '0') * 8 + (word[i + 3] - '0'));
    i += 3;
  }
  return out;
}

}  // namespace

namespace {

std::string escape(const std::string& word) {
  std::string out;
  for (unsigned char c : word) {
    if (c > ' ' && c < 0x7f && c != '#' && c != '=' && c != '\\') {
      out += static_cast<char>(c);
      continue;
    }
    out += fmt::format("\\{:03o}", c);
  }
  return out;
}

}  // namespace

std::string render_mtree(const Listing& listing) {
  static const char* const kOrder[] = {"mode", "gid", "uid", "type", "size", "sha256digest", "link"};
  std::string text = "#mtree\n";
  for (const auto& [path, file] : listing) {
    text += escape(path);
    for (const char* key : kOrder)
      if (auto found = file.keywords.find(key); found != file.keywords.end())
        text += fmt::format(" {}={}", key, escape(found->second));
    for (const auto& [key, value] : file.keywords)
      if (std::find(std::begin(kOrder), std::end(kOrder), key) == std::end(kOrder))
        text += fmt::format(" {}={}", key, escape(value));
    text += "\n";
  }
  return text;
}

size_t listing_entries(const std::string& mtree_text) {
  const auto lines = static_cast<size_t>(std::count(mtree_text.begin(), mtree_text.end(), '\n'));
  return mtree_text.starts_with("#mtree") && lines > 0 ? lines - 1 : lines;
}

Listing parse_mtree(const std::string& text, const std::string& source) {
  Listing listing;
  std::istringstream in(text);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string path;
    words >> path;
    if (!path.starts_with("./") && path != ".")
      throw Error(fmt::format("{}:{}: '{}' is not a path of a content listing", source, number, path.substr(0, 60)),
                  ExitCode::bad_input);
    ListedFile file;
    for (std::string word; words >> word;) {
      const auto equals = word.find('=');
      if (equals == std::string::npos)
        throw Error(fmt::format("{}:{}: '{}' is not keyword=value", source, number, word), ExitCode::bad_input);
      file.keywords[word.substr(0, equals)] = unescape(word.substr(equals + 1), fmt::format("{}:{}", source, number));
    }
    listing[unescape(path, fmt::format("{}:{}", source, number))] = std::move(file);
  }
  return listing;
}

ListingDiff diff_listings(const Listing& before, const Listing& after) {
  ListingDiff diff;
  for (const auto& [path, file] : before) {
    auto other = after.find(path);
    if (other == after.end()) {
      diff.removed.push_back(path);
      continue;
    }
    std::vector<std::string> fields;
    std::map<std::string, std::string> keys = file.keywords;
    keys.insert(other->second.keywords.begin(), other->second.keywords.end());
    for (const auto& [key, unused] : keys) {
      auto a = file.keywords.find(key), b = other->second.keywords.find(key);
      const std::string old_value = a == file.keywords.end() ? "-" : a->second,
                        new_value = b == other->second.keywords.end() ? "-" : b->second;
      if (old_value == new_value) continue;
      fields.push_back(key == "sha256digest" ? "content" : fmt::format("{} {} -> {}", key, old_value, new_value));
    }
    if (!fields.empty()) diff.changed.emplace_back(path, fields);
  }
  for (const auto& [path, file] : after)
    if (!before.contains(path)) diff.added.push_back(path);
  return diff;
}

std::string render_diff(const ListingDiff& diff) {
  auto shown = [](const std::string& path) { return path == "." ? std::string("/") : path.substr(1); };
  std::string text;
  for (const auto& path : diff.added) text += "added   " + shown(path) + "\n";
  for (const auto& path : diff.removed) text += "removed " + shown(path) + "\n";
  for (const auto& [path, fields] : diff.changed) {
    text += fmt::format("changed {}: {}\n", shown(path), fmt::join(fields, ", "));
  }
  return text;
}

}  // namespace trustnet::baker
