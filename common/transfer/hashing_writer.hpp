#pragma once
// Appends a download to a file and hashes it on a second thread, so that SHA-256 does not slow
// the transfer. Memory stays bounded and flat: kChunksInFlight buffers, allocated once and passed
// back and forth between the threads (fresh ones would cost a page fault per 4 KiB each time).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/handles/unique_fd.hpp"
#include "common/util/sha256.hpp"

namespace trustnet {

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
  // Writes what is queued and returns the SHA-256 of the whole file. Call once. No fsync: cache
  // entries are verified again at every use, and an fsync costs more than the download on loopback.
  std::string finish();

 private:
  void push_current();  // queues current_ and takes a free buffer in its place
  void drain();         // the writer thread

  std::filesystem::path file_;
  UniqueFd fd_;
  Sha256 hash_;
  uint64_t size_ = 0;
  std::vector<char> current_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<char>> queue_;  // filled, waiting to be written
  std::vector<std::vector<char>> free_;  // written, ready to be filled again
  bool closing_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace trustnet
