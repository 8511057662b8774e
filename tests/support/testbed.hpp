// A running testbed (deploy/testbed/testbed.sh) for one test: brought up in a fresh temporary
// directory, always taken down (every process stopped) when the object goes away.
//
//   testbed bed({.net = 201, .extra_domains = {"gamma.test"}});
//   user_session alice(bed, "alice@alpha.test");
//   auto reply = alice.submit({"bob@beta.test"}, message);
//   bed.kill("mx.beta.test"); bed.start("mx.beta.test");
//   stored_copies(bed.domain("beta.test").ims.state_dir);
//
// Plus the clients tests need until the im2k client exists: user_session (submit, status,
// recall on the OMS submit listener) and peer_session (a raw notify or pull connection with a
// certificate of the test's choosing).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.hpp"

namespace im2k::test {

struct server_info {
  std::string host;
  std::string address;
  std::filesystem::path cert;
  std::filesystem::path key;
  std::filesystem::path config;
  std::filesystem::path state_dir;
  std::filesystem::path log;
  std::filesystem::path control_socket;  // <state_dir>/control.sock
  std::string metrics;                   // "127.N.k.x:9100" (OMS x=1, IMS x=2)
};

struct user_info {
  std::string address;
  std::filesystem::path password_file;
  std::filesystem::path client_config;
};

struct domain_info {
  std::string name;
  server_info oms;  // ports: submit 4653, pull 4652
  server_info ims;  // ports: notify 4650, mailbox 4651
  std::vector<user_info> users;
};

struct testbed_options {
  int net = 0;  // the second octet of every address; one per concurrently running test
  std::vector<std::string> extra_domains{};
  std::string retry_initial = "1s";
  std::string retry_max = "2s";
  std::vector<std::string> spf{};       // "DOMAIN=RECORD" ("none": no TXT record)
  std::vector<std::string> forwards{};  // "ZONE=PORT": ZONE resolved by 127.0.0.1:PORT
  // TOML text appended verbatim to every OMS / IMS config (must start with a table header,
  // e.g. "[policy]\n..."); empty: nothing appended.
  std::string oms_append{};
  std::string ims_append{};
};

class testbed {
 public:
  // Runs `testbed.sh up`; throws std::runtime_error with its output if that fails.
  explicit testbed(testbed_options options);
  ~testbed();  // `testbed.sh down`, always

  testbed(const testbed&) = delete;
  testbed& operator=(const testbed&) = delete;

  const std::filesystem::path& dir() const { return dir_.path(); }
  const nlohmann::json& state() const { return state_; }
  std::string dns_server() const;  // "127.N.0.53:5300"
  std::filesystem::path ca_dir() const;
  std::filesystem::path ca_cert() const;
  std::filesystem::path crl() const;
  const domain_info& domain(std::string_view name) const;  // throws if unknown
  const user_info& user(std::string_view address) const;   // throws if unknown

  // SERVICE is a host name or "dns". Each throws std::runtime_error if the script fails.
  void stop(const std::string& service);
  void start(const std::string& service);
  void kill(const std::string& service);  // SIGKILL
  void set_spf(const std::string& domain, const std::string& record);
  bool running(const std::string& service) const;  // from `status`

  // Issues NAME.pem/NAME.key from the testbed's CA with the given DNS names (server and client
  // usage) and refreshes the CRL. Returns {cert, key}.
  std::pair<std::filesystem::path, std::filesystem::path> issue_certificate(
      const std::string& name, const std::vector<std::string>& dns_names);

  // The JSON lines a server has logged so far (lines that are not JSON are skipped).
  std::vector<nlohmann::json> events(const std::string& host) const;

 private:
  void run_script(std::vector<std::string> arguments) const;
  void reload_state();

  temp_dir dir_;
  nlohmann::json state_;
  std::vector<domain_info> domains_;
};

// Events of `events` named `name` whose string fields equal every one of `fields`.
using field_match = std::vector<std::pair<std::string, std::string>>;
std::size_t count_events(const std::vector<nlohmann::json>& events, std::string_view name,
                         const field_match& fields = {});

// Read-only SQL on a daemon's SQLite database (WAL readers do not disturb the daemon): every
// row, each column as text ("" for NULL). Throws std::runtime_error on failure.
std::vector<std::vector<std::string>> query_database(const std::filesystem::path& db,
                                                     const std::string& sql);

// What an IMS stored: its mailbox rows (ims.db in state_dir, table mailbox) as (msg, user).
struct stored_copy {
  std::string msg;
  std::string user;
  std::string sender_domain;
};
std::vector<stored_copy> stored_copies(const std::filesystem::path& ims_state_dir);
// The number of body files in an OMS spool (state_dir/bodies), temporary files excluded.
std::size_t oms_body_files(const std::filesystem::path& oms_state_dir);

// A response, flattened for assertions.
struct reply {
  bool ok = false;
  nlohmann::json object;  // the whole response (ok or error)
  std::string code;       // error code ("" when ok); "connection" when no response came
  bool temporary = false;
  std::string message;
};

// A user connection to an OMS submit listener, authenticated with the user's password file.
// Synchronous (own io_context, every wait bounded). Throws std::runtime_error if connecting,
// hello or auth fails.
class user_session {
 public:
  user_session(const testbed& bed, const std::string& user);
  ~user_session();

  reply submit(const std::vector<std::string>& rcpt, const std::string& message,
               std::optional<std::string> from = std::nullopt);
  reply status(const std::string& msg);
  reply recall(const std::string& msg);

  // The state of each recipient ("rcpt" -> "state") of a status reply.
  static std::vector<std::pair<std::string, std::string>> states(const reply& status);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string user_;
};

// A well-formed message from `from` (RFC 5322, CRLF lines) with a unique Subject.
std::string make_message(const std::string& from, const std::vector<std::string>& to,
                         const std::string& subject, std::size_t body_octets = 64);

// A raw server-to-server connection (notify or pull listener) made with any certificate of the
// testbed's CA, from any local address, saying any hello host: for breaking trust rules.
struct peer_options {
  std::string server_host;     // SNI and the name the server certificate must carry
  std::string server_address;  // where to connect
  std::uint16_t port = 0;
  bool pull = false;  // the pull listener's ALPN (else notify)
  std::filesystem::path cert;
  std::filesystem::path key;
  std::string source_address;  // bind address ("" = any)
  std::string hello_host;
};

class peer_session {
 public:
  // Never throws for a refused connection: see opened() and refusal().
  peer_session(const testbed& bed, peer_options options);
  ~peer_session();

  bool opened() const;
  // Why opening failed: the refused hello (code etc.), or code "connection" for anything else.
  const reply& refusal() const { return refusal_; }

  reply request(nlohmann::json request);
  // A pull: the response and, if ok, the body.
  reply pull(const std::string& msg, const std::string& token, const std::string& rcpt_domain,
             std::string* body);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  reply refusal_;
};

}  // namespace im2k::test
