// A real unbound serving test zones on 127.0.0.1:<free port>, for integration tests.
//
//   unbound_options zones;
//   zones.local_zones = {"alpha.test. static"};
//   zones.local_data = {"alpha.test. 300 IN SOA ns.alpha.test. h.alpha.test. 1 3600 600 86400 60",
//                       "alpha.test. 300 IN MX 10 mx.alpha.test."};
//   unbound_server dns(dir.path(), zones);  // started and answering, or throws
//   resolver_options{.servers = {dns.server()}};
//
// Names under no configured zone are REFUSED (nothing leaves the machine) unless
// refuse_other_names is false. The default "test." zone of unbound is turned off so that .test
// names can be served. Put a SOA at each zone apex: negative answers carry it (RFC 2308).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace im2k::test {

struct forward_zone {
  std::string name;        // "slow.test."
  std::uint16_t port = 0;  // a server on 127.0.0.1 (e.g. a udp_black_hole, which never answers)
};

struct unbound_options {
  std::vector<std::string> local_zones;  // "zone. type", e.g. "alpha.test. static"
  std::vector<std::string> local_data;   // one RR each, e.g. "mx.alpha.test. 300 IN A 127.0.1.1"
  std::vector<forward_zone> forward_zones;
  bool refuse_other_names = true;
  std::string extra_server_config;  // verbatim lines for the server: clause
};

class unbound_server {
 public:
  // Writes DIR/unbound.conf, starts unbound, waits (bounded) until it answers. Throws
  // std::runtime_error (with unbound's stderr) if it does not.
  unbound_server(std::filesystem::path dir, unbound_options options);
  ~unbound_server();

  unbound_server(const unbound_server&) = delete;
  unbound_server& operator=(const unbound_server&) = delete;

  std::string server() const;  // "127.0.0.1:PORT"
  std::uint16_t port() const { return port_; }
  const std::filesystem::path& config_path() const { return config_; }
  std::string log() const;  // unbound's stderr so far
  void stop();              // ends unbound now (a later query times out or is refused)

 private:
  bool start_and_wait();

  std::filesystem::path dir_;
  unbound_options options_;
  std::filesystem::path config_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

// Whether something answers DNS over UDP on 127.0.0.1:port within `timeout_ms`.
bool dns_answers(std::uint16_t port, int timeout_ms);

}  // namespace im2k::test
