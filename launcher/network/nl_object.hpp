#pragma once
// RAII owners of libnl's reference-counted route objects (links, addresses) and parsed addresses.
#include <netlink/addr.h>
#include <netlink/object.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include <memory>

namespace trustnet::launcher {

struct NlObjectPut {
  void operator()(rtnl_link* link) const { rtnl_link_put(link); }
  void operator()(rtnl_addr* addr) const { rtnl_addr_put(addr); }
  void operator()(nl_addr* addr) const { nl_addr_put(addr); }
  void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};

using LinkPtr = std::unique_ptr<rtnl_link, NlObjectPut>;
using AddrPtr = std::unique_ptr<rtnl_addr, NlObjectPut>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlObjectPut>;
using CachePtr = std::unique_ptr<nl_cache, NlObjectPut>;

}  // namespace trustnet::launcher
