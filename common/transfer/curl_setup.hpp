#pragma once
// What every transfer of ours asks of libcurl, in one place: HTTP(S) only (and file:// where
// the caller allows it), verified TLS with the system store or a given CA file, redirects only
// to HTTP(S), timeouts that make a stalled transfer a transient failure, our user agent.
#include <curl/curl.h>
#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/util/error.hpp"

namespace trustnet {

struct TlsOptions {
  std::optional<std::filesystem::path> ca_file;  // else the system store
};

template <typename Value>
void set_curl_option(CURL* curl, CURLoption option, Value value) {
  const CURLcode rc = curl_easy_setopt(curl, option, value);
  if (rc != CURLE_OK)
    throw Error(fmt::format("libcurl: cannot set option {}: {}", static_cast<int>(option), curl_easy_strerror(rc)));
}

// `error` must outlive the transfer: libcurl writes its message there.
void set_transfer_defaults(CURL* curl, const TlsOptions& tls, char (&error)[CURL_ERROR_SIZE], bool allow_file = false);

// Where a request carries an Authorization header: it must go to an https:// URL (else an Error
// naming the URL, never the header), and it follows redirects only to https://. libcurl itself
// drops such a header on a redirect to another host, port or scheme.
void guard_credentials(CURL* curl, const std::string& url, const std::vector<std::string>& headers);

// Connection-level failures worth another attempt.
bool transient_curl_code(CURLcode code);
bool transient_http_status(long status);

}  // namespace trustnet
