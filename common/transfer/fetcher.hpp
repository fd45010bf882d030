#pragma once
// Downloads pinned inputs into the cache: the only code that touches the network. A download goes
// to a partial file, resumes with an HTTP Range request after an interruption, follows
// redirects (HTTP and HTTPS only), verifies HTTPS certificates, retries transient failures with
// back-off, and enters the cache only when its SHA-256 matches the pin.
#include <chrono>
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
};

struct FetchOptions {
  bool offline = false;
  int retries = 3;                               // after the first attempt, for transient failures only
  std::chrono::milliseconds first_backoff{500};  // doubled each retry, at most 8 s
  TlsOptions tls;
};

enum class FetchOutcome { cached, downloaded };

class Fetcher {
 public:
  Fetcher(const InputCache& cache, FetchOptions options, TransferDisplay& display);
  FetchOutcome fetch(const Download& download);

 private:
  FetchOutcome download_locked(const Download& download);

  const InputCache& cache_;
  FetchOptions options_;
  TransferDisplay& display_;
};

}  // namespace trustnet
