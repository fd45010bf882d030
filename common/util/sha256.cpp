#include "common/util/sha256.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/handles/unique_fd.hpp"

#include <fmt/format.h>

#include <fstream>
#include <vector>

#include "common/util/encoding.hpp"
#include "common/util/error.hpp"

namespace trustnet {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    throw Error("OpenSSL: cannot initialise SHA-256");
}

void Sha256::update(const void* data, size_t size) {
  if (EVP_DigestUpdate(ctx_.get(), data, size) != 1) throw Error("OpenSSL: SHA-256 update failed");
}

Sha256Digest Sha256::digest() {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), digest.data(), &length) != 1 || length != digest.size())
    throw Error("OpenSSL: SHA-256 final failed");
  return digest;
}

std::string Sha256::hex_digest() { return hex_lower(digest()); }

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.hex_digest();
}

Sha256Digest sha256_of(std::span<const uint8_t> data) {
  Sha256 hash;
  hash.update(data.data(), data.size());
  return hash.digest();
}

std::string sha256_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open {}", file.string()));
  Sha256 hash;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) hash.update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(fmt::format("error reading {}", file.string()));
  return hash.hex_digest();
}

std::string copy_file_hashing(const std::filesystem::path& from, const std::filesystem::path& to, unsigned mode) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  struct stat facts {};
  if (!in.valid() || ::fstat(in.get(), &facts) != 0)
    throw Error(fmt::format("cannot open {}: {}", from.string(), std::strerror(errno)));
  if (!S_ISREG(facts.st_mode)) throw Error(fmt::format("{} is not a regular file", from.string()));
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!out.valid()) throw Error(fmt::format("cannot create {}: {}", to.string(), std::strerror(errno)));
  Sha256 hash;
  std::vector<char> buffer(1 << 20);
  while (true) {
    const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(fmt::format("cannot read {}: {}", from.string(), std::strerror(errno)));
    if (n == 0) break;
    hash.update(buffer.data(), static_cast<size_t>(n));
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out.get(), buffer.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw Error(fmt::format("cannot write {}: {}", to.string(), std::strerror(errno)));
      done += w;
    }
  }
  if (::fchmod(out.get(), mode) != 0)  // the umask may have narrowed it
    throw Error(fmt::format("cannot chmod {}: {}", to.string(), std::strerror(errno)));
  return hash.hex_digest();
}

}  // namespace trustnet
