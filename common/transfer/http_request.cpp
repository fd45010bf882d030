#include "common/transfer/http_request.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <cctype>
#include <chrono>
#include "common/handles/curl_handle.hpp"
#include "common/handles/unique_fd.hpp"
#include "common/transfer/retries.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet {

namespace {

struct Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse response;
  bool too_long = false;
  size_t received = 0;  // body bytes, kept or sunk
  int upload_fd = -1;
  std::exception_ptr read_failure;
  TransferFigures figures;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  if (exchange->received + size * count > exchange->request->max_answer) {
    exchange->too_long = true;
    return 0;
  }
  exchange->received += size * count;
  if (exchange->request->body_sink)
    exchange->request->body_sink(data, size * count);
  else
    exchange->response.body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  std::string line(data, size * count);
  // A new status line (after a redirect or a 100 Continue) starts a new set of headers.
  if (line.starts_with("HTTP/")) exchange->response.headers.clear();
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  std::string value = line.substr(colon + 1);
  const size_t first = value.find_first_not_of(" \t"), last = value.find_last_not_of(" \t\r\n");
  exchange->response.headers[name] = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  return size * count;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const ssize_t got = ::read(exchange->upload_fd, buffer, size * count);
  if (got < 0) {
    exchange->read_failure = std::make_exception_ptr(
        Error(fmt::format("cannot read {}: {}", exchange->request->upload_file->string(), std::strerror(errno))));
    return CURL_READFUNC_ABORT;
  }
  return static_cast<size_t>(got);
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t total, curl_off_t now) {
  auto* exchange = static_cast<Exchange*>(user);
  if (exchange->request->progress) {
    TransferFigures& f = exchange->figures;
    f.bytes = static_cast<uint64_t>(now);
    if (total > 0) f.total = static_cast<uint64_t>(total);
    f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - exchange->started).count();
    exchange->request->progress->update(f);
  }
  return interrupt::requested() ? 1 : 0;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto found = headers.find(name);
  return found == headers.end() ? "" : found->second;
}

HttpResponse send_request(const HttpRequest& request, const TlsOptions& tls) {
  CurlEasy handle = make_curl_easy();
  CURL* curl = handle.get();
  char error[CURL_ERROR_SIZE] = "";
  set_transfer_defaults(curl, tls, error);
  set_curl_option(curl, CURLOPT_URL, request.url.c_str());
  set_curl_option(curl, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  guard_credentials(curl, request.url, request.headers);
  Exchange exchange;
  exchange.request = &request;
  set_curl_option(curl, CURLOPT_WRITEFUNCTION, on_body);
  set_curl_option(curl, CURLOPT_WRITEDATA, &exchange);
  set_curl_option(curl, CURLOPT_HEADERFUNCTION, on_header);
  set_curl_option(curl, CURLOPT_HEADERDATA, &exchange);
  set_curl_option(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  set_curl_option(curl, CURLOPT_XFERINFODATA, &exchange);
  set_curl_option(curl, CURLOPT_NOPROGRESS, 0L);
  // A small exchange that has not ended in five minutes never will; uploads are bounded by the
  // low-speed limit instead.
  long limit_ms = request.upload_file ? 0L : 300'000L;
  bool deadline_bound = false;  // the time limit set is the deadline's
  if (request.deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(*request.deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw Error(fmt::format("{} {}: not sent, the time allowed ran out ({})", request.method, request.url,
                              request.deadline_name));
    deadline_bound = limit_ms == 0 || left.count() < limit_ms;
    if (deadline_bound) limit_ms = static_cast<long>(left.count());
  }
  if (limit_ms > 0) set_curl_option(curl, CURLOPT_TIMEOUT_MS, limit_ms);

  CurlHeaders headers;
  for (const std::string& line : request.headers) append_header(headers, line);
  UniqueFd upload;
  if (request.method == "HEAD") {
    set_curl_option(curl, CURLOPT_NOBODY, 1L);
  } else if (request.upload_file) {
    upload = UniqueFd(::open(request.upload_file->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!upload.valid())
      throw Error(fmt::format("cannot open {}: {}", request.upload_file->string(), std::strerror(errno)));
    exchange.upload_fd = upload.get();
    set_curl_option(curl, CURLOPT_UPLOAD, 1L);
    set_curl_option(curl, CURLOPT_READFUNCTION, on_read);
    set_curl_option(curl, CURLOPT_READDATA, &exchange);
    set_curl_option(curl, CURLOPT_INFILESIZE_LARGE,
                    static_cast<curl_off_t>(std::filesystem::file_size(*request.upload_file)));
    set_curl_option(curl, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    set_curl_option(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    append_header(headers, "Expect:");  // no 100-continue round trip
  } else if (request.method != "GET") {
    set_curl_option(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    set_curl_option(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    set_curl_option(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (std::none_of(request.headers.begin(), request.headers.end(),
                     [](const std::string& h) { return h.starts_with("Content-Type:"); }))
      append_header(headers, "Content-Type:");  // not form data
  }
  if (headers) set_curl_option(curl, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode code = curl_easy_perform(curl);
  if (exchange.read_failure) std::rethrow_exception(exchange.read_failure);
  if (code == CURLE_ABORTED_BY_CALLBACK) interrupt::throw_if_requested();
  if (exchange.too_long && request.body_sink) {  // the sink's owner judges a long answer
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &exchange.response.status);
    exchange.response.too_long = true;
    return exchange.response;
  }
  if (exchange.too_long)
    throw Error(
        fmt::format("{} {}: the answer is longer than {} bytes", request.method, request.url, request.max_answer));
  // The low-speed limit times out too: the deadline's when it was (nearly) reached.
  if (code == CURLE_OPERATION_TIMEDOUT && deadline_bound &&
      std::chrono::steady_clock::now() + std::chrono::milliseconds(500) >= *request.deadline)
    throw Error(fmt::format("{} {}: not answered when the time allowed ran out ({})", request.method, request.url,
                            request.deadline_name));
  if (code != CURLE_OK) {
    const std::string message =
        fmt::format("{} {}: {}", request.method, request.url, *error ? error : curl_easy_strerror(code));
    if (transient_curl_code(code)) throw TransientFailure(message);
    throw Error(message);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &exchange.response.status);
  if (request.progress && request.upload_file && exchange.response.status < 300) {
    exchange.figures.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - exchange.started).count();
    exchange.figures.bytes = std::filesystem::file_size(*request.upload_file);
    request.progress->done(exchange.figures);
  }
  return exchange.response;
}

}  // namespace trustnet
