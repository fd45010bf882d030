#pragma once
// The content-addressed cache of pinned inputs: ROOT/sha256/DIGEST holds a file whose SHA-256 is
// DIGEST, read-only; ROOT/partial/DIGEST.part is a download in progress, kept across
// interruptions so that the next fetch resumes it. Nothing enters sha256/ unverified. Entries are
// not fsynced: every bake verifies an entry's digest again before using it, so one torn by a
// power loss is reported (with how to replace it), never used. ROOT/listings/DIGEST.mtree is the
// content listing of the base image whose SHA-256 is DIGEST, made by the first bake of that base.
#include <filesystem>
#include <optional>
#include <string>

#include "common/util/file_lock.hpp"

namespace trustnet {

class InputCache {
 public:
  explicit InputCache(std::filesystem::path root);
  // $XDG_CACHE_HOME/trustnet, else ~/.cache/trustnet.
  static std::filesystem::path default_root();

  const std::filesystem::path& root() const { return root_; }
  // Makes the cache (0700) when it is missing, and checks it as a private tree: what another
  // user could plant in it (a link as a partial file, a release folder) would be trusted.
  void check_trusted() const;
  std::filesystem::path entry(const std::string& sha256) const;
  bool has(const std::string& sha256) const;
  bool holds(const std::filesystem::path& file) const;  // is `file` one of the entries
  std::filesystem::path partial(const std::string& sha256) const;
  // Held while one process downloads one digest; a second one waits, then finds the entry.
  FileLock lock(const std::string& sha256) const;
  std::filesystem::path listing(const std::string& base_sha256) const;
  std::optional<std::string> read_listing(const std::string& base_sha256) const;
  void keep_listing(const std::string& base_sha256, const std::string& mtree_text) const;
  // Small bytes already in memory (a release manifest read before its digest was known) into
  // their entry; returns their SHA-256.
  std::string keep(const std::string& bytes) const;
  // Moves a partial file whose digest the caller has verified into its entry.
  void admit(const std::filesystem::path& verified, const std::string& sha256) const;

 private:
  std::filesystem::path root_;
};

}  // namespace trustnet
