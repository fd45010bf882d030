#pragma once
// RAII owner of an OpenSSL memory BIO, for PEM text in and out.
#include <openssl/bio.h>

#include <string>

#include "common/util/error.hpp"

#include "common/handles/c_handle.hpp"

namespace trustnet {

using Bio = CHandle<BIO, BIO_free>;

inline Bio memory_bio() {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio) throw Error("OpenSSL: cannot create a memory buffer");
  return bio;
}

inline Bio memory_bio(const std::string& text) {
  Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw Error("OpenSSL: cannot create a memory buffer");
  return bio;
}

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

}  // namespace trustnet
