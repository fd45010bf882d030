#pragma once
// One HTTP request with a small answer: the registry API's HEAD, GET, POST, PUT and PATCH. The
// body sent is a string or a file streamed from disk (memory stays flat whatever its size); the
// answer's body is kept up to a limit, and its headers by lower-case name. Failures to reach
// the server are Errors naming the URL; HTTP statuses are the caller's to judge.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/transfer/curl_setup.hpp"
#include "common/transfer/transfer_display.hpp"

namespace trustnet {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent unless upload_file is set
  std::optional<std::filesystem::path> upload_file;
  size_t max_answer = 4 << 20;  // a longer answer body is an Error
  // When set, the answer's body goes here as it arrives, not to HttpResponse::body (a large
  // answer hashed without keeping it); past max_answer the transfer stops and the response
  // says too_long instead of an Error.
  std::function<void(const char* data, size_t size)> body_sink;
  bool follow_redirects = true;
  TransferDisplay* progress = nullptr;  // shows the upload when set
  // The command's own time limit, when it has one (pull.timeout): the exchange ends there
  // however slowly the server trickles, with an Error naming `deadline_name`.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::string deadline_name;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last value of each
  std::string body;
  bool too_long = false;  // with a body_sink: the answer went past max_answer and was cut there
  std::string header(const std::string& name) const;  // "" when absent
};

HttpResponse send_request(const HttpRequest& request, const TlsOptions& tls);

}  // namespace trustnet
