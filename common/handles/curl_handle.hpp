#pragma once
// RAII owner of a libcurl easy handle; curl_global_init runs once, before the first handle.
#include <curl/curl.h>

#include "common/util/error.hpp"

#include "common/handles/c_handle.hpp"

namespace trustnet {

using CurlEasy = CHandle<CURL, curl_easy_cleanup>;
using CurlHeaders = CHandle<curl_slist, curl_slist_free_all>;
using CurlUrl = CHandle<CURLU, curl_url_cleanup>;

// Appends one "Name: value" line to a header list (which may be empty).
inline void append_header(CurlHeaders& headers, const std::string& line) {
  curl_slist* longer = curl_slist_append(headers.get(), line.c_str());
  if (!longer) throw Error("libcurl: cannot add a request header");
  (void)headers.release();  // curl_slist_append returned the same list, longer
  headers.reset(longer);
}

inline CurlEasy make_curl_easy() {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) throw Error(std::string("libcurl initialisation failed: ") + curl_easy_strerror(global));
  CurlEasy handle(curl_easy_init());
  if (!handle) throw Error("libcurl: cannot create a transfer handle");
  return handle;
}

}  // namespace trustnet
