// The file side of a control socket: binding it private (0600) in place of a stale one, and
// asking the kernel who is on the other end (SO_PEERCRED).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/system/error_code.hpp>

namespace im2k::control {

// Binds and listens on `path` with mode 0600. A socket file nobody answers on (left by a killed
// daemon) is replaced; one a process answers on gives address_in_use; a path that is not a
// socket gives file_exists (never removed). Blocks briefly: call it at start-up.
boost::system::error_code bind_private(boost::asio::local::stream_protocol::acceptor& acceptor,
                                       const std::filesystem::path& path);

// The start-up error text for what bind_private returned.
std::string describe_bind_error(const std::filesystem::path& path, boost::system::error_code ec);

// Removes `path` if it is still the socket bind_private made (same device and inode).
void remove_socket_file(const std::filesystem::path& path, dev_t device, ino_t inode);

struct peer_identity {
  uid_t uid = 0;
  pid_t pid = 0;
};

// The credentials of the connected peer, from the kernel.
std::optional<peer_identity> peer_of(boost::asio::local::stream_protocol::socket& socket);

// Only the daemon's own user and root may use its control socket.
bool may_control(const peer_identity& peer);

}  // namespace im2k::control
