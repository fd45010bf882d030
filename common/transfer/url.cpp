#include "common/transfer/url.hpp"

#include <algorithm>
#include <cctype>

#include "common/handles/curl_handle.hpp"
#include "common/util/text_values.hpp"

namespace trustnet {

namespace {

// libcurl's part as a string, or nothing.
std::optional<std::string> url_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, flags) != CURLUE_OK || !text) return std::nullopt;
  std::string value(text);
  curl_free(text);
  return value;
}

// A parsed absolute http(s) URL, or nothing.
CurlUrl parse_http_url(const std::string& text, const CurlUrl* base = nullptr) {
  // Control characters and spaces never belong in a URL we act on (libcurl would encode some).
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    return nullptr;
  CurlUrl url(base ? curl_url_dup(base->get()) : curl_url());
  if (!url) return nullptr;
  if (curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) return nullptr;
  const auto scheme = url_part(url.get(), CURLUPART_SCHEME);
  const auto host = url_part(url.get(), CURLUPART_HOST);
  if (!scheme || (ascii_lower(*scheme) != "http" && ascii_lower(*scheme) != "https") || !host || host->empty())
    return nullptr;
  // Credentials in the URL itself would travel wherever it points.
  if (url_part(url.get(), CURLUPART_USER) || url_part(url.get(), CURLUPART_PASSWORD)) return nullptr;
  return url;
}

}  // namespace

std::optional<std::string> url_origin(const std::string& text) {
  const CurlUrl url = parse_http_url(text);
  if (!url) return std::nullopt;
  const auto port = url_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!port) return std::nullopt;
  return ascii_lower(*url_part(url.get(), CURLUPART_SCHEME)) + "://" +
         ascii_lower(*url_part(url.get(), CURLUPART_HOST)) + ":" + *port;
}

std::optional<std::string> resolve_location(const std::string& base_url, const std::string& location) {
  const CurlUrl base = parse_http_url(base_url);
  if (!base) return std::nullopt;
  const CurlUrl resolved = parse_http_url(location, &base);
  if (!resolved) return std::nullopt;
  return url_part(resolved.get(), CURLUPART_URL);
}

bool is_https_url(const std::string& url) {
  const auto origin = url_origin(url);
  return origin && origin->starts_with("https://");
}

std::string url_path_segment(std::string_view name) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string segment;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      segment += c;
    } else {
      segment += '%';
      segment += hex[byte >> 4];
      segment += hex[byte & 0xf];
    }
  }
  return segment;
}

}  // namespace trustnet
