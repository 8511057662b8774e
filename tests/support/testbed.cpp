#include "tests/support/testbed.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "common/net/client_connection.hpp"
#include "common/tls/credentials.hpp"
#include "proto/error.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/run_command.hpp"

namespace im2k::test {
namespace {

using boost::asio::awaitable;

std::string script_path() {
  return std::string(IM2K_SOURCE_DIR) + "/deploy/testbed/testbed.sh";
}

server_info server_of(const nlohmann::json& j) {
  return server_info{j.at("host").get<std::string>(),   j.at("address").get<std::string>(),
                     j.at("cert").get<std::string>(),   j.at("key").get<std::string>(),
                     j.at("config").get<std::string>(), j.at("state_dir").get<std::string>(),
                     j.at("log").get<std::string>(),    j.at("control_socket").get<std::string>(),
                     j.at("metrics").get<std::string>()};
}

// Writes `text` to `path` (for --oms-append / --ims-append); throws if that fails.
void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.good()) {
    throw std::runtime_error("testbed: cannot write " + path.string());
  }
}

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

reply from_response(const proto::response& response) {
  reply r;
  if (const auto* ok = std::get_if<proto::ok_response>(&response)) {
    r.ok = true;
    r.object = ok->object;
    return r;
  }
  const auto& error = std::get<proto::error_response>(response);
  r.object = proto::to_json(error);
  r.code = std::string(proto::to_string(error.code));
  r.temporary = error.temporary;
  r.message = error.message;
  return r;
}

reply from_failure(const net::client_failure& failure) {
  reply r;
  if (failure.refusal) {
    r = from_response(*failure.refusal);
    return r;
  }
  r.code = "connection";
  r.temporary = true;
  r.message = failure.describe();
  return r;
}

net::body_source string_source(std::shared_ptr<std::string> text) {
  auto offset = std::make_shared<std::size_t>(0);
  return [text, offset](std::span<char> buffer) -> awaitable<boost::system::result<std::size_t>> {
    const std::size_t n = std::min(buffer.size(), text->size() - *offset);
    std::memcpy(buffer.data(), text->data() + *offset, n);
    *offset += n;
    co_return n;
  };
}

constexpr auto call_timeout = std::chrono::seconds(60);

}  // namespace

// ---- testbed ----------------------------------------------------------------------------------

testbed::testbed(testbed_options options) {
  std::vector<std::string> arguments{"up", (dir_ / "bed").string(), "--net",
                                     std::to_string(options.net)};
  for (const auto& d : options.extra_domains) {
    arguments.insert(arguments.end(), {"--extra-domain", d});
  }
  arguments.insert(arguments.end(), {"--retry-initial", options.retry_initial, "--retry-max",
                                     options.retry_max, "--bin-dir", IM2K_BIN_DIR});
  for (const auto& s : options.spf) {
    arguments.insert(arguments.end(), {"--spf", s});
  }
  for (const auto& f : options.forwards) {
    arguments.insert(arguments.end(), {"--forward", f});
  }
  if (!options.oms_append.empty()) {
    write_text(dir_ / "oms-append.toml", options.oms_append);
    arguments.insert(arguments.end(), {"--oms-append", (dir_ / "oms-append.toml").string()});
  }
  if (!options.ims_append.empty()) {
    write_text(dir_ / "ims-append.toml", options.ims_append);
    arguments.insert(arguments.end(), {"--ims-append", (dir_ / "ims-append.toml").string()});
  }
  run_script(std::move(arguments));
  reload_state();
}

testbed::~testbed() {
  try {
    run_script({"down", (dir_ / "bed").string()});
  } catch (const std::exception&) {
    // Nothing more to do: down already stopped what it could and said why on stderr.
  }
}

void testbed::run_script(std::vector<std::string> arguments) const {
  arguments.insert(arguments.begin(), script_path());
  const auto result = run_command(arguments, {}, std::chrono::seconds(180));
  if (result.exit_status != 0) {
    std::string text = "testbed.sh";
    for (std::size_t i = 1; i < arguments.size(); ++i) {
      text += " " + arguments[i];
    }
    throw std::runtime_error(text + " failed (" + std::to_string(result.exit_status) +
                             "): " + result.err + result.out);
  }
}

void testbed::reload_state() {
  std::ifstream in(dir_ / "bed" / "state.json");
  state_ = nlohmann::json::parse(in);
  domains_.clear();
  for (const auto& d : state_.at("domains")) {
    domain_info info{
        d.at("name").get<std::string>(), server_of(d.at("oms")), server_of(d.at("ims")), {}};
    for (const auto& u : d.at("users")) {
      info.users.push_back(user_info{u.at("address").get<std::string>(),
                                     u.at("password_file").get<std::string>(),
                                     u.at("client_config").get<std::string>()});
    }
    domains_.push_back(std::move(info));
  }
}

std::string testbed::dns_server() const {
  return state_.at("dns").at("server").get<std::string>();
}
std::filesystem::path testbed::ca_dir() const {
  return state_.at("ca").at("dir").get<std::string>();
}
std::filesystem::path testbed::ca_cert() const {
  return state_.at("ca").at("cert").get<std::string>();
}
std::filesystem::path testbed::crl() const {
  return state_.at("ca").at("crl").get<std::string>();
}

const domain_info& testbed::domain(std::string_view name) const {
  for (const auto& d : domains_) {
    if (d.name == name) {
      return d;
    }
  }
  throw std::runtime_error("testbed: no domain " + std::string(name));
}

const user_info& testbed::user(std::string_view address) const {
  for (const auto& d : domains_) {
    for (const auto& u : d.users) {
      if (u.address == address) {
        return u;
      }
    }
  }
  throw std::runtime_error("testbed: no user " + std::string(address));
}

void testbed::stop(const std::string& service) {
  run_script({"stop", (dir_ / "bed").string(), service});
  reload_state();
}
void testbed::start(const std::string& service) {
  run_script({"start", (dir_ / "bed").string(), service});
  reload_state();
}
void testbed::kill(const std::string& service) {
  run_script({"kill", (dir_ / "bed").string(), service});
  reload_state();
}
void testbed::set_spf(const std::string& domain, const std::string& record) {
  run_script({"set-spf", (dir_ / "bed").string(), domain, record});
  reload_state();
}

bool testbed::running(const std::string& service) const {
  const auto result = run_command({script_path(), "status", (dir_ / "bed").string()});
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(service + " ", 0) == 0) {
      return line.find(" running ") != std::string::npos;
    }
  }
  return false;
}

std::pair<std::filesystem::path, std::filesystem::path> testbed::issue_certificate(
    const std::string& name, const std::vector<std::string>& dns_names) {
  std::string names;
  for (const auto& n : dns_names) {
    names += (names.empty() ? "" : ",") + n;
  }
  const std::string pki = std::string(IM2K_SOURCE_DIR) + "/deploy/pki/pki.sh";
  const auto issued = run_command({pki, "issue", ca_dir().string(), name, "--dns", names});
  if (issued.exit_status != 0) {
    throw std::runtime_error("pki.sh issue failed: " + issued.err);
  }
  return {ca_dir() / (name + ".pem"), ca_dir() / (name + ".key")};
}

std::vector<nlohmann::json> testbed::events(const std::string& host) const {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir_ / "bed" / "logs" / (host + ".log"));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      out.push_back(std::move(j));
    }
  }
  return out;
}

std::size_t count_events(const std::vector<nlohmann::json>& events, std::string_view name,
                         const field_match& fields) {
  return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const auto& e) {
    if (e.value("event", "") != name) {
      return false;
    }
    return std::all_of(fields.begin(), fields.end(), [&](const auto& field) {
      const auto found = e.find(field.first);
      return found != e.end() && found->is_string() &&
             found->template get<std::string>() == field.second;
    });
  }));
}

// ---- databases --------------------------------------------------------------------------------

std::vector<std::vector<std::string>> query_database(const std::filesystem::path& db,
                                                     const std::string& sql) {
  sqlite3* handle = nullptr;
  const std::string uri = "file:" + db.string() + "?mode=ro";
  if (sqlite3_open_v2(uri.c_str(), &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
      SQLITE_OK) {
    const std::string error = handle ? sqlite3_errmsg(handle) : "out of memory";
    sqlite3_close(handle);
    throw std::runtime_error("cannot open " + db.string() + ": " + error);
  }
  sqlite3_busy_timeout(handle, 10000);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    const std::string error = sqlite3_errmsg(handle);
    sqlite3_close(handle);
    throw std::runtime_error("cannot prepare '" + sql + "' on " + db.string() + ": " + error);
  }
  std::vector<std::vector<std::string>> rows;
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(statement)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      const auto* text = sqlite3_column_text(statement, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  const std::string error = step == SQLITE_DONE ? "" : sqlite3_errmsg(handle);
  sqlite3_finalize(statement);
  sqlite3_close(handle);
  if (!error.empty()) {
    throw std::runtime_error("query '" + sql + "' on " + db.string() + " failed: " + error);
  }
  return rows;
}

std::vector<stored_copy> stored_copies(const std::filesystem::path& ims_state_dir) {
  std::vector<stored_copy> out;
  const auto db = ims_state_dir / "ims.db";
  if (!std::filesystem::exists(db)) {
    return out;
  }
  for (auto& row : query_database(db, "SELECT msg, user, sender_domain FROM mailbox")) {
    out.push_back(stored_copy{std::move(row[0]), std::move(row[1]), std::move(row[2])});
  }
  return out;
}

std::size_t oms_body_files(const std::filesystem::path& oms_state_dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(oms_state_dir / "bodies", ec)) {
    const auto name = entry.path().filename().string();
    if (entry.is_regular_file() && name.find('.') == std::string::npos) {
      ++n;
    }
  }
  return n;
}

// ---- user_session ---------------------------------------------------------------------------

struct user_session::impl {
  boost::asio::io_context io{1};
  std::unique_ptr<net::client_connection> connection;

  reply call(nlohmann::json request) {
    if (!connection || !connection->usable()) {
      return reply{false, {}, "connection", true, "the connection is closed"};
    }
    auto result = run_awaitable(io, connection->request(std::move(request)), call_timeout);
    return result ? from_response(*result) : from_failure(result.error());
  }
};

user_session::user_session(const testbed& bed, const std::string& user)
    : impl_(std::make_unique<impl>()), user_(user) {
  const auto& u = bed.user(user);
  const auto& oms = bed.domain(user.substr(user.find('@') + 1)).oms;
  tls::tls_settings tls;
  tls.ca_file = bed.ca_cert().string();
  tls.crl_files = {bed.crl().string()};
  net::client_settings settings;
  settings.peer_host = oms.host;
  settings.addresses = {boost::asio::ip::make_address(oms.address)};
  settings.port = 4653;
  settings.credentials =
      std::make_shared<tls::credentials>(tls, tls::side::client, tls::listener_kind::submit);
  settings.hello_client = "im2k-test/1";
  auto opened = run_awaitable(
      impl_->io, net::client_connection::open(impl_->io.get_executor(), settings), call_timeout);
  if (!opened) {
    throw std::runtime_error("user_session: cannot connect to " + oms.host + ": " +
                             opened.error().describe());
  }
  impl_->connection = std::move(*opened);
  const auto auth =
      impl_->call({{"op", "auth"}, {"user", user}, {"password", first_line(u.password_file)}});
  if (!auth.ok) {
    throw std::runtime_error("user_session: auth as " + user + " refused: " + auth.code + " " +
                             auth.message);
  }
}

user_session::~user_session() {
  if (impl_->connection && impl_->connection->usable()) {
    try {
      run_awaitable(
          impl_->io,
          [](net::client_connection& c) -> awaitable<bool> {
            co_await c.close();
            co_return true;
          }(*impl_->connection),
          std::chrono::seconds(5));
    } catch (const std::exception&) {
      // The connection is dropped with the object anyway.
    }
  }
}

reply user_session::submit(const std::vector<std::string>& rcpt, const std::string& message,
                           std::optional<std::string> from) {
  if (!impl_->connection || !impl_->connection->usable()) {
    return reply{false, {}, "connection", true, "the connection is closed"};
  }
  nlohmann::json request{{"op", "submit"}, {"from", from.value_or(user_)}, {"rcpt", rcpt}};
  auto text = std::make_shared<std::string>(message);
  auto& c = *impl_->connection;
  auto result = run_awaitable(
      impl_->io,
      [](net::client_connection& c, nlohmann::json request,
         std::shared_ptr<std::string> text) -> awaitable<net::client_result<proto::response>> {
        auto sent =
            co_await c.send_with_body(std::move(request), text->size(), string_source(text));
        if (!sent) {
          co_return sent.error();
        }
        co_return co_await c.receive();
      }(c, std::move(request), text),
      call_timeout);
  return result ? from_response(*result) : from_failure(result.error());
}

reply user_session::status(const std::string& msg) {
  return impl_->call({{"op", "status"}, {"msg", msg}});
}

reply user_session::recall(const std::string& msg) {
  return impl_->call({{"op", "recall"}, {"msg", msg}});
}

std::vector<std::pair<std::string, std::string>> user_session::states(const reply& status) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!status.ok || !status.object.contains("recipients")) {
    return out;
  }
  for (const auto& r : status.object.at("recipients")) {
    out.emplace_back(r.value("rcpt", ""), r.value("state", ""));
  }
  return out;
}

std::string make_message(const std::string& from, const std::vector<std::string>& to,
                         const std::string& subject, std::size_t body_octets) {
  std::string m = "From: " + from + "\r\nTo: ";
  for (std::size_t i = 0; i < to.size(); ++i) {
    m += (i ? ", " : "") + to[i];
  }
  m += "\r\nSubject: " + subject + "\r\nDate: Sun, 22 Nov 2026 13:00:00 +0000\r\n\r\n";
  std::string line;
  while (m.size() + line.size() < body_octets) {
    line += "im2k test body line for " + subject + "\r\n";
  }
  return m + line + "end\r\n";
}

// ---- peer_session ---------------------------------------------------------------------------

struct peer_session::impl {
  boost::asio::io_context io{1};
  std::unique_ptr<net::client_connection> connection;
};

peer_session::peer_session(const testbed& bed, peer_options options)
    : impl_(std::make_unique<impl>()) {
  tls::tls_settings tls;
  tls.cert_file = options.cert.string();
  tls.key_file = options.key.string();
  tls.ca_file = bed.ca_cert().string();
  tls.crl_files = {bed.crl().string()};
  net::client_settings settings;
  settings.peer_host = options.server_host;
  settings.addresses = {boost::asio::ip::make_address(options.server_address)};
  settings.port = options.port;
  if (!options.source_address.empty()) {
    settings.bind_address = boost::asio::ip::make_address(options.source_address);
  }
  settings.credentials = std::make_shared<tls::credentials>(
      tls, tls::side::client, options.pull ? tls::listener_kind::pull : tls::listener_kind::notify);
  settings.hello_host = options.hello_host;
  auto opened = run_awaitable(
      impl_->io, net::client_connection::open(impl_->io.get_executor(), settings), call_timeout);
  if (!opened) {
    refusal_ = from_failure(opened.error());
    return;
  }
  impl_->connection = std::move(*opened);
}

peer_session::~peer_session() = default;

bool peer_session::opened() const {
  return impl_->connection != nullptr;
}

reply peer_session::request(nlohmann::json request) {
  if (!impl_->connection || !impl_->connection->usable()) {
    return reply{false, {}, "connection", true, "the connection is closed"};
  }
  auto result =
      run_awaitable(impl_->io, impl_->connection->request(std::move(request)), call_timeout);
  return result ? from_response(*result) : from_failure(result.error());
}

reply peer_session::pull(const std::string& msg, const std::string& token,
                         const std::string& rcpt_domain, std::string* body) {
  auto r = request({{"op", "pull"}, {"msg", msg}, {"token", token}, {"rcpt_domain", rcpt_domain}});
  if (!r.ok || !r.object.contains("body_len")) {
    return r;
  }
  auto text = std::make_shared<std::string>();
  const auto length = r.object.at("body_len").get<std::uint64_t>();
  auto read = run_awaitable(
      impl_->io,
      impl_->connection->read_body(
          length,
          [text](std::span<const char> chunk) -> awaitable<boost::system::error_code> {
            text->append(chunk.data(), chunk.size());
            co_return boost::system::error_code{};
          }),
      call_timeout);
  if (!read) {
    return from_failure(read.error());
  }
  if (body) {
    *body = *text;
  }
  return r;
}

}  // namespace im2k::test
