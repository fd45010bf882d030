#pragma once
// URLs as a client that carries credentials judges them (RFC 3986, through libcurl's URL parser):
// where a URL points (its origin: scheme, host and port) and what a Location header means
// relative to the request it answered. Pure functions; nothing is fetched.
#include <optional>
#include <string>
#include <string_view>

namespace trustnet {

// "scheme://host:port" of an absolute http:// or https:// URL, the scheme and host in lower case
// and the port always written; nothing when `url` is not such a URL.
std::optional<std::string> url_origin(const std::string& url);

// `location` (absolute, or relative as in a Location header) resolved against `base_url`;
// nothing when either cannot be parsed or the result is not http:// or https://.
std::optional<std::string> resolve_location(const std::string& base_url, const std::string& location);

// Whether `url` is an absolute https:// URL with a host.
bool is_https_url(const std::string& url);

// `name` as one segment of a URL's path: every byte but RFC 3986's unreserved ones
// (A-Z a-z 0-9 - . _ ~) percent-encoded, so that '?', '#' or '/' in a name never change
// which resource a request names.
std::string url_path_segment(std::string_view name);

}  // namespace trustnet
