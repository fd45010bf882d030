#pragma once
// One owner for an object of a C library: CHandle<T, free_function> holds a T* and frees it with
// that function, once. The handle headers (archive, BIO, curl, EVP, X509, guestfs) name theirs.
#include <memory>

namespace trustnet {

template <auto Free>
struct CDeleter {
  template <typename T>
  void operator()(T* object) const {
    Free(object);
  }
};

template <typename T, auto Free>
using CHandle = std::unique_ptr<T, CDeleter<Free>>;

}  // namespace trustnet
