#include "tests/support/udp_black_hole.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace im2k::test {

udp_black_hole::udp_black_hole() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    throw std::runtime_error("udp_black_hole: cannot bind 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
}

udp_black_hole::~udp_black_hole() {
  ::close(fd_);
}

std::string udp_black_hole::server() const {
  return "127.0.0.1:" + std::to_string(port_);
}

}  // namespace im2k::test
