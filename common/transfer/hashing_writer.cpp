#include "common/transfer/hashing_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/util/error.hpp"

namespace trustnet {

HashingWriter::HashingWriter(const std::filesystem::path& file)
    : file_(file), fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644)) {
  if (!fd_.valid()) throw Error(fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(fmt::format("{} is not a regular file; remove it", file.string()));
  std::vector<char> buffer(64 << 10);
  ssize_t n;
  while ((n = ::pread(fd_.get(), buffer.data(), buffer.size(), static_cast<off_t>(size_))) > 0) {
    hash_.update(buffer.data(), static_cast<size_t>(n));
    size_ += static_cast<uint64_t>(n);
  }
  if (n < 0) throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  current_.reserve(kChunkSize);
  free_.resize(kChunksInFlight - 1);
  for (auto& chunk : free_) chunk.reserve(kChunkSize);
  thread_ = std::thread([this] { drain(); });
}

HashingWriter::~HashingWriter() {
  {
    // An abandoned download keeps every byte received, so that the next fetch resumes after it.
    std::lock_guard lock(mutex_);
    if (!failure_ && !current_.empty()) queue_.push_back(std::move(current_));
    closing_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HashingWriter::write(const char* data, size_t size) {
  size_ += size;
  while (size > 0) {
    size_t take = std::min(size, kChunkSize - current_.size());
    current_.insert(current_.end(), data, data + take);
    data += take;
    size -= take;
    if (current_.size() == kChunkSize) push_current();
  }
}

void HashingWriter::push_current() {
  std::unique_lock lock(mutex_);
  if (failure_) std::rethrow_exception(failure_);
  queue_.push_back(std::move(current_));
  changed_.notify_all();
  changed_.wait(lock, [this] { return !free_.empty() || failure_; });
  if (failure_) std::rethrow_exception(failure_);
  current_ = std::move(free_.back());
  free_.pop_back();
}

void HashingWriter::drain() {
  while (true) {
    std::vector<char> chunk;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;
      chunk = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      for (size_t done = 0; done < chunk.size();) {
        ssize_t n = ::write(fd_.get(), chunk.data() + done, chunk.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(fmt::format("cannot write {}: {}", file_.string(), std::strerror(errno)));
        done += static_cast<size_t>(n);
      }
      hash_.update(chunk.data(), chunk.size());
      chunk.clear();
      {
        std::lock_guard lock(mutex_);
        free_.push_back(std::move(chunk));
      }
      changed_.notify_all();
    } catch (...) {
      std::lock_guard lock(mutex_);
      failure_ = std::current_exception();
      queue_.clear();
      changed_.notify_all();
      return;
    }
  }
}

std::string HashingWriter::finish() {
  if (!current_.empty()) push_current();
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  thread_.join();
  if (failure_) std::rethrow_exception(failure_);
  return hash_.hex_digest();
}

}  // namespace trustnet
