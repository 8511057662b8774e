// A UDP socket on 127.0.0.1 that is never read: DNS queries sent to it are never answered, so a
// resolver (or an unbound forward-zone) pointed at it times out.
#pragma once

#include <cstdint>
#include <string>

namespace im2k::test {

class udp_black_hole {
 public:
  udp_black_hole();  // throws std::runtime_error if no socket can be bound
  ~udp_black_hole();

  udp_black_hole(const udp_black_hole&) = delete;
  udp_black_hole& operator=(const udp_black_hole&) = delete;

  std::uint16_t port() const { return port_; }
  std::string server() const;  // "127.0.0.1:PORT", for resolver_options::servers

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace im2k::test
