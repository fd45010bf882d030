#include "common/transfer/fetcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "common/handles/curl_handle.hpp"
#include "common/transfer/curl_setup.hpp"
#include "common/transfer/hashing_writer.hpp"
#include "common/transfer/retries.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet {
namespace fs = std::filesystem;

namespace {

// discard: fatal, and what arrived is not worth keeping (a write failed, the answer was too long).
enum class Verdict { complete, restart, transient, fatal, discard };

struct Attempt {
  Verdict verdict = Verdict::fatal;
  std::string message;
};

struct TransferState {
  const Download* download;
  HashingWriter* writer;
  TransferDisplay* display;
  TransferFigures figures;
  const TlsOptions& tls;
  std::chrono::steady_clock::time_point started;
  std::exception_ptr write_failure;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  try {
    if (state->download->size && state->writer->size() + size * count > *state->download->size)
      throw Error(
          fmt::format("the server sent more than the {} bytes expected of it; refused", *state->download->size));
    state->writer->write(data, size * count);
  } catch (...) {
    state->write_failure = std::current_exception();
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  return size * count;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* state = static_cast<TransferState*>(user);
  TransferFigures& f = state->figures;
  f.bytes = f.resumed_from + static_cast<uint64_t>(now);
  if (total > 0) f.total = f.resumed_from + static_cast<uint64_t>(total);
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - state->started).count();
  state->display->update(f);
  return interrupt::requested() ? 1 : 0;
}

// One request: appends to the writer, and says whether the file is whole or what to do next.
Attempt transfer(const Download& download, TransferState& state, const FetchOptions& options) {
  CurlEasy handle = make_curl_easy();
  CURL* curl = handle.get();
  char error[CURL_ERROR_SIZE] = "";
  set_transfer_defaults(curl, state.tls, error, /*allow_file=*/true);
  set_curl_option(curl, CURLOPT_URL, download.url.c_str());
  set_curl_option(curl, CURLOPT_FAILONERROR, 1L);
  guard_credentials(curl, download.url, download.headers);
  CurlHeaders headers;
  for (const std::string& line : download.headers) append_header(headers, line);
  if (headers) set_curl_option(curl, CURLOPT_HTTPHEADER, headers.get());
  set_curl_option(curl, CURLOPT_BUFFERSIZE, 256L * 1024);
  set_curl_option(curl, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_bytes);
  set_curl_option(curl, CURLOPT_LOW_SPEED_TIME, options.low_speed_seconds);
  if (download.size)  // a Content-Length beyond the declared size is refused before the body
    set_curl_option(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(*download.size));
  if (options.deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(*options.deadline - std::chrono::steady_clock::now());
    set_curl_option(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, left.count())));
  }
  set_curl_option(curl, CURLOPT_WRITEFUNCTION, on_data);
  set_curl_option(curl, CURLOPT_WRITEDATA, &state);
  set_curl_option(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  set_curl_option(curl, CURLOPT_XFERINFODATA, &state);
  set_curl_option(curl, CURLOPT_NOPROGRESS, 0L);
  if (state.figures.resumed_from > 0)
    set_curl_option(curl, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(state.figures.resumed_from));

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  const std::string detail = *error ? error : curl_easy_strerror(code);
  if (state.write_failure) {
    try {
      std::rethrow_exception(state.write_failure);
    } catch (const Error& e) {
      return {Verdict::discard, e.what()};
    }
  }
  if (code == CURLE_OK) return {Verdict::complete, ""};
  if (code == CURLE_OPERATION_TIMEDOUT && options.deadline && std::chrono::steady_clock::now() >= *options.deadline)
    throw Error(fmt::format("not finished when the time allowed ran out ({}); {} of it arrived",
                            options.deadline_name.empty() ? "the deadline" : options.deadline_name,
                            state.figures.bytes));
  if (code == CURLE_FILESIZE_EXCEEDED)
    return {Verdict::discard, fmt::format("the server announced more than the {} bytes expected of it; refused",
                                          download.size.value_or(0))};
  if (code == CURLE_ABORTED_BY_CALLBACK) interrupt::throw_if_requested();
  if (code == CURLE_HTTP_RETURNED_ERROR) {
    // 416: the partial file already holds the whole length; the digest decides.
    if (status == 416 && state.figures.resumed_from > 0) return {Verdict::complete, ""};
    return {transient_http_status(status) ? Verdict::transient : Verdict::fatal, fmt::format("HTTP {}", status)};
  }
  // The server ignores Range: start again from the first byte.
  if (code == CURLE_RANGE_ERROR || code == CURLE_BAD_DOWNLOAD_RESUME) return {Verdict::restart, detail};
  return {transient_curl_code(code) ? Verdict::transient : Verdict::fatal, detail};
}

void remove_file(const fs::path& file) {
  std::error_code ignored;
  fs::remove(file, ignored);
}

}  // namespace

Fetcher::Fetcher(const InputCache& cache, FetchOptions options, TransferDisplay& display)
    : cache_(cache), options_(options), display_(display) {
  cache_.check_trusted();
}

FetchOutcome Fetcher::fetch(const Download& download) {
  if (cache_.has(download.sha256)) {
    display_.line(fmt::format("fetch {}: in the cache (sha256:{})", download.name, download.sha256.substr(0, 16)));
    return FetchOutcome::cached;
  }
  if (options_.offline)
    throw Error(fmt::format("fetch {}: offline, and {} (sha256:{}) is not in the cache {}", download.name, download.url,
                            download.sha256, cache_.root().string()));
  FileLock lock = cache_.lock(download.sha256);
  if (cache_.has(download.sha256)) return FetchOutcome::cached;  // another process fetched it meanwhile
  try {
    return download_locked(download);
  } catch (Error& e) {
    if (!e.has_context()) e.with_context(fmt::format("fetch {}: {}", download.name, download.url));
    throw;
  }
}

FetchOutcome Fetcher::download_locked(const Download& download) {
  const fs::path partial = cache_.partial(download.sha256);
  const int attempts = 1 + std::max(0, options_.retries);
  std::chrono::milliseconds backoff = options_.first_backoff;
  std::string last_failure;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    std::optional<HashingWriter> writer(std::in_place, partial);
    // Nothing unverified that cannot be resumed stays: after a full disk or an oversized answer
    // no partial file is left to trip the next fetch.
    auto discard = [&](const std::string& why) {
      writer.reset();
      remove_file(partial);
      return Error(fmt::format("{} (removed {})", why, partial.string()));
    };
    TransferState state{&download, &*writer, &display_, {}, options_.tls, std::chrono::steady_clock::now(), nullptr};
    state.figures.resumed_from = state.figures.bytes = writer->size();
    if (download.size && writer->size() > *download.size) {  // not a prefix of what is wanted
      writer.reset();
      remove_file(partial);
      continue;
    }
    display_.start(download.name);
    Attempt result = transfer(download, state, options_);
    state.figures.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - state.started).count();
    if (result.verdict == Verdict::complete) {
      std::string actual;
      try {
        actual = writer->finish();
      } catch (const Error& e) {  // the last write failed: a full disk
        throw discard(e.what());
      }
      writer.reset();
      if (actual != download.sha256) {
        remove_file(partial);
        throw Error(fmt::format("sha256 is {}, but {} pins {}; nothing was cached", actual, download.pinned_by,
                                download.sha256));
      }
      cache_.admit(partial, download.sha256);
      display_.done(state.figures);
      return FetchOutcome::downloaded;
    }
    if (result.verdict == Verdict::discard) throw discard(result.message);
    writer.reset();  // keeps what arrived, for the next attempt to resume
    if (fs::exists(partial) && fs::file_size(partial) == 0) remove_file(partial);
    last_failure = result.message;
    if (result.verdict == Verdict::fatal) throw Error(result.message);
    if (result.verdict == Verdict::restart) {
      remove_file(partial);
      display_.line(fmt::format("fetch {}: {}; starting again from the first byte", download.name, result.message));
      continue;
    }
    if (attempt == attempts) break;
    display_.line(fmt::format("fetch {}: attempt {} of {} failed ({}); retrying in {:.1f} s", download.name, attempt,
                              attempts, result.message, static_cast<double>(backoff.count()) / 1000));
    sleep_interruptibly(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
  }
  throw FetchGaveUp(fmt::format("{} (gave up after {} attempts)", last_failure, attempts));
}

}  // namespace trustnet
