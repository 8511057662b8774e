#include "tests/support/unbound_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "tests/support/free_port.hpp"

namespace im2k::test {

namespace {

constexpr auto start_timeout = std::chrono::seconds(15);

std::string unbound_binary() {
  const char* configured = std::getenv("IM2K_UNBOUND");
  return configured != nullptr && *configured != '\0' ? configured : "/usr/sbin/unbound";
}

// Unbound's config takes "..." or '...'; local-data with TXT strings needs the single quotes.
std::string quoted(const std::string& text) {
  const char q = text.find('"') == std::string::npos ? '"' : '\'';
  return q + text + q;
}

std::string config_text(const std::filesystem::path& dir, std::uint16_t port,
                        const unbound_options& options) {
  const std::string p = std::to_string(port);
  std::string c;
  c += "server:\n";
  c += "  verbosity: 1\n";
  c += "  num-threads: 1\n";
  c += "  interface: 127.0.0.1@" + p + "\n";
  c += "  port: " + p + "\n";
  c += "  do-ip4: yes\n  do-ip6: no\n  do-udp: yes\n  do-tcp: yes\n";
  c += "  do-daemonize: no\n";
  c += "  use-syslog: no\n";
  c += "  logfile: \"\"\n";
  c += "  chroot: \"\"\n";
  c += "  username: \"\"\n";
  c += "  directory: " + quoted(dir.string()) + "\n";
  c += "  pidfile: " + quoted((dir / "unbound.pid").string()) + "\n";
  c += "  module-config: \"iterator\"\n";
  c += "  access-control: 127.0.0.0/8 allow\n";
  c += "  do-not-query-localhost: no\n";
  c += "  so-reuseport: no\n";
  c += "  rrset-roundrobin: no\n";
  c += "  minimal-responses: no\n";
  c += "  local-zone: \"test.\" nodefault\n";
  if (options.refuse_other_names) {
    c += "  local-zone: \".\" refuse\n";
    for (const auto& zone : options.forward_zones) {
      c += "  local-zone: " + quoted(zone.name) + " transparent\n";
    }
  }
  for (const auto& zone : options.local_zones) {
    const auto space = zone.find(' ');
    c += "  local-zone: " + quoted(zone.substr(0, space)) +
         (space == std::string::npos ? " static" : zone.substr(space)) + "\n";
  }
  for (const auto& data : options.local_data) {
    c += "  local-data: " + quoted(data) + "\n";
  }
  c += options.extra_server_config;
  c += "\nremote-control:\n  control-enable: no\n";
  for (const auto& zone : options.forward_zones) {
    c += "forward-zone:\n  name: " + quoted(zone.name) + "\n  forward-addr: 127.0.0.1@" +
         std::to_string(zone.port) + "\n";
  }
  return c;
}

}  // namespace

bool dns_answers(std::uint16_t port, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // A query for ". NS": any well-formed response (even REFUSED) shows the server is up.
  const unsigned char id_high = 0x4d, id_low = static_cast<unsigned char>(port & 0xff);
  const unsigned char query[] = {id_high, id_low, 0x01, 0x00, 0, 1, 0, 0, 0,
                                 0,       0,      0,    0x00, 0, 2, 0, 1};
  bool answered = false;
  if (::sendto(fd, query, sizeof query, 0, reinterpret_cast<sockaddr*>(&address), sizeof address) ==
      static_cast<ssize_t>(sizeof query)) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) > 0) {
      unsigned char reply[512];
      const ssize_t n = ::recv(fd, reply, sizeof reply, 0);
      answered = n >= 12 && reply[0] == id_high && reply[1] == id_low && (reply[2] & 0x80) != 0;
    }
  }
  ::close(fd);
  return answered;
}

unbound_server::unbound_server(std::filesystem::path dir, unbound_options options)
    : dir_(std::move(dir)), options_(std::move(options)), config_(dir_ / "unbound.conf") {
  // The port may be taken between free_port() and unbound's bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start_and_wait()) {
      return;
    }
  }
  throw std::runtime_error("unbound did not start; its log:\n" + log());
}

unbound_server::~unbound_server() {
  stop();
}

bool unbound_server::start_and_wait() {
  port_ = free_port();
  {
    std::ofstream out(config_, std::ios::trunc);
    out << config_text(dir_, port_, options_);
    if (!out) {
      throw std::runtime_error("cannot write " + config_.string());
    }
  }
  process_ = std::make_unique<child_process>(
      process_options{{unbound_binary(), "-d", "-c", config_.string()},
                      {},
                      dir_ / "unbound.out",
                      dir_ / "unbound.err"});
  const auto deadline = std::chrono::steady_clock::now() + start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->running()) {
      return false;  // e.g. the port was taken; the caller retries
    }
    if (dns_answers(port_, 100)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  process_->stop();
  throw std::runtime_error("unbound did not answer within 15 s; its log:\n" + log());
}

std::string unbound_server::server() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::string unbound_server::log() const {
  return read_file(dir_ / "unbound.err");
}

void unbound_server::stop() {
  if (process_) {
    process_->stop();
  }
}

}  // namespace im2k::test
