#pragma once
// Appends a download to a file and hashes it on a second thread, so that SHA-256 does not slow
// the transfer. Memory stays bounded: at most kChunksInFlight chunks wait between the threads.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/sha256.hpp"
#include "common/unique_fd.hpp"

namespace trustnet::baker {

class HashingWriter {
 public:
  static constexpr size_t kChunkSize = 1 << 20;
  static constexpr size_t kChunksInFlight = 4;

  // Opens `file` for appending; bytes already in it are hashed first (a resumed download).
  explicit HashingWriter(const std::filesystem::path& file);
  ~HashingWriter();
  HashingWriter(const HashingWriter&) = delete;
  HashingWriter& operator=(const HashingWriter&) = delete;

  uint64_t size() const { return size_; }  // bytes in the file, including queued ones
  void write(const char* data, size_t size);
  // Writes what is queued, syncs, and returns the SHA-256 of the whole file. Call once.
  std::string finish();

 private:
  void push(std::vector<char> chunk);
  void drain();  // the writer thread

  std::filesystem::path file_;
  UniqueFd fd_;
  Sha256 hash_;
  uint64_t size_ = 0;
  std::vector<char> current_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<char>> queue_;
  bool closing_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace trustnet::baker
