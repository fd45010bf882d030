#include "common/transfer/registry_credentials.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <span>

#include "common/util/encoding.hpp"
#include "common/util/error.hpp"
#include "common/util/text_file.hpp"
#include "common/util/text_values.hpp"

namespace trustnet {
namespace fs = std::filesystem;

namespace {

RegistryCredentials read_credentials_file(const fs::path& file) {
  struct stat facts {};
  if (::stat(file.c_str(), &facts) != 0)
    throw Error(fmt::format("registry credentials {} do not exist", file.string()), ExitCode::bad_input);
  if (!S_ISREG(facts.st_mode))
    throw Error(fmt::format("registry credentials {} are not a file", file.string()), ExitCode::bad_input);
  if ((facts.st_mode & 077) != 0)
    throw Error(fmt::format("registry credentials {} are readable by others (mode {:04o}); chmod 600 it", file.string(),
                            facts.st_mode & 07777),
                ExitCode::bad_input);
  std::string text = read_text_file(file);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const size_t colon = text.find(':');
  if (text.find('\n') != std::string::npos || colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw Error(fmt::format("registry credentials {} must be one line USER:PASSWORD", file.string()),
                ExitCode::bad_input);
  return {text.substr(0, colon), text.substr(colon + 1)};
}

}  // namespace

std::optional<RegistryCredentials> load_registry_credentials(const std::optional<fs::path>& file) {
  if (file) return read_credentials_file(*file);
  const char* username = std::getenv("TRUSTNET_REGISTRY_USERNAME");
  const char* password = std::getenv("TRUSTNET_REGISTRY_PASSWORD");
  const bool has_user = username && *username, has_password = password && *password;
  if (has_user != has_password)
    throw Error("set both TRUSTNET_REGISTRY_USERNAME and TRUSTNET_REGISTRY_PASSWORD, or neither", ExitCode::bad_input);
  if (!has_user) return std::nullopt;
  if (std::string(username).find(':') != std::string::npos)
    throw Error("TRUSTNET_REGISTRY_USERNAME holds a ':', which Basic authentication cannot carry", ExitCode::bad_input);
  return RegistryCredentials{username, password};
}

std::string basic_authorization(const RegistryCredentials& credentials) {
  const std::string pair = credentials.username + ":" + credentials.password;
  return "Authorization: Basic " + base64_encode(std::span(reinterpret_cast<const uint8_t*>(pair.data()), pair.size()));
}

std::optional<AuthChallenge> parse_auth_challenge(const std::string& header) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
  };
  auto token = [&] {
    const size_t start = i;
    while (i < header.size() && (std::isalnum(static_cast<unsigned char>(header[i])) ||
                                 std::string_view("!#$%&'*+-.^_`|~").find(header[i]) != std::string_view::npos))
      ++i;
    return header.substr(start, i - start);
  };
  skip_space();
  AuthChallenge challenge{ascii_lower(token()), {}};
  if (challenge.scheme.empty()) return std::nullopt;
  skip_space();
  while (i < header.size()) {
    const std::string name = ascii_lower(token());
    skip_space();
    if (name.empty() || i >= header.size() || header[i] != '=') return std::nullopt;
    ++i;
    skip_space();
    std::string value;
    if (i < header.size() && header[i] == '"') {
      for (++i; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i];
      }
      if (i >= header.size()) return std::nullopt;  // no closing quote
      ++i;
    } else {
      value = token();
    }
    challenge.params[name] = value;
    skip_space();
    if (i < header.size()) {
      if (header[i] != ',') return std::nullopt;
      ++i;
      skip_space();
    }
  }
  return challenge;
}

std::optional<std::string> parse_token_response(const std::string& body) {
  nlohmann::json answer;
  try {
    answer = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (!answer.is_object()) return std::nullopt;
  const char* field = answer.contains("token") ? "token" : "access_token";
  if (!answer.contains(field) || !answer[field].is_string()) return std::nullopt;
  std::string token = answer[field].get<std::string>();
  const auto token_character = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~+/=").find(c) != std::string_view::npos;
  };
  if (token.empty() || token.size() > (16 << 10) || !std::all_of(token.begin(), token.end(), token_character))
    return std::nullopt;
  return token;
}

}  // namespace trustnet
