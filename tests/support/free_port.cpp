#include "tests/support/free_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace im2k::test {

namespace {

// Binds a socket of `type` to 127.0.0.1:port (0 = any); returns the fd and the bound port.
int bind_loopback(int type, std::uint16_t& port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

std::uint16_t free_port() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::uint16_t port = 0;
    const int tcp = bind_loopback(SOCK_STREAM, port);
    if (tcp < 0) {
      continue;
    }
    const int udp = bind_loopback(SOCK_DGRAM, port);
    ::close(tcp);
    if (udp >= 0) {
      ::close(udp);
      return port;
    }
  }
  throw std::runtime_error("no free port on 127.0.0.1");
}

}  // namespace im2k::test
