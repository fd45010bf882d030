#include "common/transfer/curl_setup.hpp"

#include <algorithm>

#include "common/transfer/url.hpp"
#include "common/util/text_values.hpp"

namespace trustnet {

void set_transfer_defaults(CURL* curl, const TlsOptions& tls, char (&error)[CURL_ERROR_SIZE], bool allow_file) {
  error[0] = '\0';
  set_curl_option(curl, CURLOPT_PROTOCOLS_STR, allow_file ? "http,https,file" : "http,https");
  set_curl_option(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set_curl_option(curl, CURLOPT_FOLLOWLOCATION, 1L);
  set_curl_option(curl, CURLOPT_MAXREDIRS, 10L);
  set_curl_option(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  set_curl_option(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (tls.ca_file) {
    if (!std::filesystem::is_regular_file(*tls.ca_file))
      throw Error(fmt::format("CA certificate file {} does not exist", tls.ca_file->string()), ExitCode::bad_input);
    set_curl_option(curl, CURLOPT_CAINFO, tls.ca_file->c_str());
  }
  set_curl_option(curl, CURLOPT_NOSIGNAL, 1L);
  set_curl_option(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  // A transfer slower than 10 KiB/s for 30 s (a stalled or trickling server) is a transient failure.
  set_curl_option(curl, CURLOPT_LOW_SPEED_LIMIT, 10240L);
  set_curl_option(curl, CURLOPT_LOW_SPEED_TIME, 30L);
  set_curl_option(curl, CURLOPT_USERAGENT, "trustnet/" TRUSTNET_VERSION);
  set_curl_option(curl, CURLOPT_ERRORBUFFER, error);
}

void guard_credentials(CURL* curl, const std::string& url, const std::vector<std::string>& headers) {
  const bool credentials = std::any_of(headers.begin(), headers.end(), [](const std::string& line) {
    return ascii_lower(std::string_view(line).substr(0, 14)) == "authorization:";
  });
  if (!credentials) return;
  if (!is_https_url(url))
    throw Error(
        fmt::format("{}: refused to send credentials over plain HTTP; use https://", printable(url.substr(0, 200))),
        ExitCode::bad_input);
  set_curl_option(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
}

bool transient_http_status(long status) { return status == 408 || status == 425 || status == 429 || status >= 500; }

bool transient_curl_code(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return true;
    default: return false;
  }
}

}  // namespace trustnet
