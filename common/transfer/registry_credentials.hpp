#pragma once
// Who we are to a registry: a user name and password from a file (one line USER:PASSWORD, the
// file readable by its owner only) or from the environment (TRUSTNET_REGISTRY_USERNAME and
// TRUSTNET_REGISTRY_PASSWORD), never from the command line, where other users could read it.
// And what a registry asks for: its WWW-Authenticate challenge, parsed.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace trustnet {

struct RegistryCredentials {
  std::string username, password;
};

// From `file` when given, else the environment, else nothing. Errors never quote the password.
std::optional<RegistryCredentials> load_registry_credentials(const std::optional<std::filesystem::path>& file);

// "Authorization: Basic BASE64(user:password)"
std::string basic_authorization(const RegistryCredentials& credentials);

struct AuthChallenge {
  std::string scheme;                         // lower case: "basic", "bearer"
  std::map<std::string, std::string> params;  // lower-case names: realm, service, scope
};
// A WWW-Authenticate value (RFC 7235: SCHEME name="value", name=token, ...); nothing when malformed.
std::optional<AuthChallenge> parse_auth_challenge(const std::string& header);

// The token of a token service's answer ({"token": …} or {"access_token": …}): nothing unless it
// is one line of token characters (RFC 6750 b64token) of at most 16 KiB, so that it cannot add a
// header to the requests that carry it.
std::optional<std::string> parse_token_response(const std::string& body);

}  // namespace trustnet
