#pragma once
// RAII owner of a libnl route socket, connected on construction.
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <string>

#include "common/util/error.hpp"

namespace trustnet::launcher {

class NlSocket {
 public:
  NlSocket() : sock_(nl_socket_alloc()) {
    if (!sock_) throw Error("netlink: cannot allocate a socket");
    if (int rc = nl_connect(sock_, NETLINK_ROUTE); rc < 0) {
      nl_socket_free(sock_);
      throw Error(std::string("netlink: cannot connect: ") + nl_geterror(rc));
    }
  }
  NlSocket(const NlSocket&) = delete;
  NlSocket& operator=(const NlSocket&) = delete;
  ~NlSocket() { nl_socket_free(sock_); }

  nl_sock* get() const { return sock_; }

 private:
  nl_sock* sock_;
};

}  // namespace trustnet::launcher
