#include "common/control/socket_file.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

namespace im2k::control {
namespace {

namespace errc = boost::system::errc;
using boost::asio::local::stream_protocol;
using boost::system::error_code;

error_code last_errno() {
  return error_code(errno, boost::system::system_category());
}

// Someone accepts connections on the socket at `path` (a synchronous connect: a local connect
// is answered or refused at once).
bool answered(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.native().copy(address.sun_path, sizeof(address.sun_path) - 1);
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

// The umask of the calling process, restored when the scope ends.
class umask_scope {
 public:
  explicit umask_scope(mode_t mask) : saved_(::umask(mask)) {}
  ~umask_scope() { ::umask(saved_); }
  umask_scope(const umask_scope&) = delete;
  umask_scope& operator=(const umask_scope&) = delete;

 private:
  mode_t saved_;
};

}  // namespace

error_code bind_private(stream_protocol::acceptor& acceptor, const std::filesystem::path& path) {
  if (path.empty() || path.native().size() >= sizeof(sockaddr_un::sun_path)) {
    return errc::make_error_code(errc::filename_too_long);
  }
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return errc::make_error_code(errc::file_exists);
    }
    if (answered(path)) {
      return errc::make_error_code(errc::address_in_use);
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return last_errno();
    }
  }
  error_code ec;
  acceptor.open(stream_protocol(), ec);
  if (ec) {
    return ec;
  }
  {
    // No moment in which the socket exists with a wider mode than 0600.
    umask_scope private_mask(077);
    acceptor.bind(stream_protocol::endpoint(path.native()), ec);
  }
  if (!ec && ::chmod(path.c_str(), 0600) != 0) {
    ec = last_errno();
  }
  struct stat bound {};
  if (!ec && ::lstat(path.c_str(), &bound) != 0) {
    ec = last_errno();
  }
  if (!ec && (!S_ISSOCK(bound.st_mode) || (bound.st_mode & 0777) != 0600)) {
    ec = errc::make_error_code(errc::permission_denied);
  }
  if (!ec) {
    acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    error_code ignored;
    acceptor.close(ignored);
  }
  return ec;
}

std::string describe_bind_error(const std::filesystem::path& path, error_code ec) {
  if (ec == errc::address_in_use) {
    return "another daemon is using the control socket " + path.string();
  }
  if (ec == errc::file_exists) {
    return "the control socket path " + path.string() + " exists and is not a socket";
  }
  return "cannot open the control socket " + path.string() + ": " + ec.message();
}

void remove_socket_file(const std::filesystem::path& path, dev_t device, ino_t inode) {
  struct stat now {};
  if (::lstat(path.c_str(), &now) == 0 && now.st_dev == device && now.st_ino == inode) {
    ::unlink(path.c_str());
  }
}

std::optional<peer_identity> peer_of(stream_protocol::socket& socket) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 ||
      length != sizeof(credentials)) {
    return std::nullopt;
  }
  return peer_identity{credentials.uid, credentials.pid};
}

bool may_control(const peer_identity& peer) {
  return peer.uid == 0 || peer.uid == ::geteuid();
}

}  // namespace im2k::control
