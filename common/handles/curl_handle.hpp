#pragma once
// RAII owner of a libcurl easy handle; curl_global_init runs once, before the first handle.
#include <curl/curl.h>

#include "common/util/error.hpp"

#include "common/handles/c_handle.hpp"

namespace trustnet {

using CurlEasy = CHandle<CURL, curl_easy_cleanup>;

inline CurlEasy make_curl_easy() {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) throw Error(std::string("libcurl initialisation failed: ") + curl_easy_strerror(global));
  CurlEasy handle(curl_easy_init());
  if (!handle) throw Error("libcurl: cannot create a transfer handle");
  return handle;
}

}  // namespace trustnet
