#include "launcher/identity/htpasswd.hpp"

#include <crypt.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <string_view>

#include "common/util/error.hpp"

namespace trustnet::launcher {

std::string generate_password(size_t length) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string password;
  while (password.size() < length) {
    unsigned char byte = 0;
    if (RAND_priv_bytes(&byte, 1) != 1) throw Error("OpenSSL: no random bytes for a password");
    // 62 * 4 = 248: bytes above that are dropped so that every character is equally likely.
    if (byte < 248) password += kAlphabet[byte % kAlphabet.size()];
  }
  return password;
}

namespace {

std::string crypt_with(const std::string& password, const char* setting) {
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_rn(password.c_str(), setting, data.get(), sizeof(crypt_data));
  std::string result = hash && hash[0] != '*' ? hash : "";
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return result;
}

}  // namespace

std::string bcrypt_hash(const std::string& password, int cost) {
  if (password.size() > 72) throw Error("bcrypt uses only the first 72 bytes of a password; choose a shorter one");
  std::array<char, 16> salt_bytes{};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt_bytes.data()), salt_bytes.size()) != 1)
    throw Error("OpenSSL: no random bytes for a salt");
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  if (!crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), salt_bytes.data(), salt_bytes.size(), setting.data(),
                        setting.size()))
    throw Error(fmt::format("libcrypt: cannot make a bcrypt setting with cost {}", cost));
  std::string hash = crypt_with(password, setting.data());
  if (!hash.starts_with("$2b$")) throw Error("libcrypt: bcrypt hashing failed");
  return hash;
}

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  return !hash.empty() && crypt_with(password, hash.c_str()) == hash;
}

std::string htpasswd_line(const std::string& user, const std::string& password) {
  if (user.empty() || user.find_first_of(":\n") != std::string::npos)
    throw Error(fmt::format("'{}' cannot be an htpasswd user name", user));
  return user + ":" + bcrypt_hash(password) + "\n";
}

}  // namespace trustnet::launcher
