#pragma once
// RAII owner of a libcurl easy handle; curl_global_init runs once, before the first handle.
#include <curl/curl.h>

#include <memory>

#include "common/error.hpp"

namespace trustnet {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

inline CurlEasy make_curl_easy() {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) throw Error(std::string("libcurl initialisation failed: ") + curl_easy_strerror(global));
  CurlEasy handle(curl_easy_init());
  if (!handle) throw Error("libcurl: cannot create a transfer handle");
  return handle;
}

}  // namespace trustnet
