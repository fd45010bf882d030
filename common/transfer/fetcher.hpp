#pragma once
// Downloads pinned inputs into the cache: the only code that touches the network. A download goes
// to a partial file, resumes with an HTTP Range request after an interruption, follows
// redirects (HTTP and HTTPS only), verifies HTTPS certificates, retries transient failures with
// back-off, and enters the cache only when its SHA-256 matches the pin. A download is capped at
// its declared size, slowed-down servers are dropped, and a deadline bounds the whole; what a
// failed write (a full disk) leaves is removed, so that the next fetch starts clean.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/transfer/curl_setup.hpp"
#include "common/transfer/input_cache.hpp"
#include "common/transfer/transfer_display.hpp"

namespace trustnet {

struct Download {
  std::string name;  // what the recipe calls it: "base image", "binary tendermint"
  std::string url;   // http://, https:// or file://
  std::string sha256;
  std::string pinned_by = "the recipe";  // who pinned the digest, for the mismatch message
  std::vector<std::string> headers;      // "Name: value" (a registry's Authorization)
  std::optional<uint64_t> size;          // the size a manifest declares: more bytes are refused
};

struct FetchOptions {
  bool offline = false;
  int retries = 3;                               // after the first attempt, for transient failures only
  std::chrono::milliseconds first_backoff{500};  // doubled each retry, at most 8 s
  TlsOptions tls;
  // A transfer slower than low_speed_bytes per second for low_speed_seconds is a transient failure.
  long low_speed_bytes = 10 << 10, low_speed_seconds = 30;
  // Every download of this fetcher gives up at the deadline, whatever remains; `deadline_name`
  // says in the message what set it ("--timeout 3600").
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::string deadline_name;
};

enum class FetchOutcome { cached, downloaded };

// A download that failed every attempt (the network or the server stayed away, as opposed to
// a wrong digest or a refusal): a caller may say how to do without that source.
class FetchGaveUp : public Error {
 public:
  using Error::Error;
};

class Fetcher {
 public:
  Fetcher(const InputCache& cache, FetchOptions options, TransferDisplay& display);
  const FetchOptions& options() const { return options_; }
  FetchOutcome fetch(const Download& download);

 private:
  FetchOutcome download_locked(const Download& download);

  const InputCache& cache_;
  FetchOptions options_;
  TransferDisplay& display_;
};

}  // namespace trustnet
