#pragma once
// The registry's credentials: a generated password and its htpasswd line (bcrypt, the only hash
// the distribution registry accepts), hashed with libxcrypt.
#include <string>

namespace trustnet::launcher {

// Letters and digits from OpenSSL's private random generator: 24 of them carry 142 bits.
std::string generate_password(size_t length = 24);
std::string bcrypt_hash(const std::string& password, int cost = 10);
bool bcrypt_matches(const std::string& password, const std::string& hash);
std::string htpasswd_line(const std::string& user, const std::string& password);  // "user:$2b$...\n"

}  // namespace trustnet::launcher
