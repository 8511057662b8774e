#include "ims/mailbox_handler.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log/log.hpp"
#include "common/store/sqlite_db.hpp"
#include "ims/users.hpp"
#include "proto/syntax.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::ims {
namespace {

using boost::asio::awaitable;
using namespace std::chrono_literals;

constexpr int max_failures_per_connection = 3;  // [U-4]
constexpr std::size_t list_page = 100;          // [M-2]
// Room for the entries of a list response: a frame is at most 65 536 octets ([F-2], [R-8]).
constexpr std::size_t max_list_bytes = 60000;
const std::string auth_refused = "authentication failed";
const std::string no_such_entry = "no such message";

// Per connection, in the session's state: who authenticated, and the failures so far.
struct connection {
  std::optional<std::string> user;  // the authenticated address, lower case
  int failures = 0;
};

connection& state_of(net::session& s) {
  if (!s.state().has_value()) {
    s.state() = connection{};
  }
  return std::any_cast<connection&>(s.state());
}

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string peer_text(const net::session& s) {
  return net::to_string(s.peer().remote);
}

// The user look-up and the KDF, run on the password pool. A plain coroutine whose parameters
// live in its frame (a capturing lambda here trips a GCC 12 coroutine bug).
awaitable<bool> check_password(std::filesystem::path db_path, std::string address,
                               std::string password) {
  std::optional<std::string> stored;
  try {
    store::sqlite_db db(db_path, store::sqlite_db::options{.read_only = true});
    auto hash = password_hash(db, address);
    if (hash) {
      stored = *hash;
    }
  } catch (const std::exception&) {
    stored.reset();  // refused below, after the same work as for an unknown user
  }
  co_return password_matches(stored, password);
}

// The certificate path ([U-2]): the user must exist; that the certificate names the user is
// checked before, on the strand.
awaitable<bool> user_exists(std::filesystem::path db_path, std::string address) {
  try {
    store::sqlite_db db(db_path, store::sqlite_db::options{.read_only = true});
    auto hash = password_hash(db, address);
    co_return hash && hash->has_value();
  } catch (const std::exception&) {
    co_return false;
  }
}

// Closes the descriptor of a body being sent.
struct file_closer {
  explicit file_closer(int descriptor) : fd(descriptor) {}
  file_closer(const file_closer&) = delete;
  file_closer& operator=(const file_closer&) = delete;
  ~file_closer() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  int fd = -1;
};

}  // namespace

mailbox_handler::mailbox_handler(std::filesystem::path user_db_path,
                                 std::filesystem::path bodies_dir, mail_store& records,
                                 std::shared_ptr<puller> pulls,
                                 boost::asio::thread_pool& password_pool)
    : user_db_path_(std::move(user_db_path)),
      bodies_dir_(std::move(bodies_dir)),
      records_(records),
      pulls_(std::move(pulls)),
      password_pool_(password_pool) {}

awaitable<void> mailbox_handler::operator()(net::session& s, net::incoming_request request) {
  if (auto* a = std::get_if<proto::auth_request>(&request.request)) {
    co_return co_await auth(s, *a);
  }
  const bool ours = std::holds_alternative<proto::list_request>(request.request) ||
                    std::holds_alternative<proto::fetch_request>(request.request) ||
                    std::holds_alternative<proto::delete_request>(request.request);
  if (!ours) {
    co_await s.send_error(request.id, proto::errc::bad_request,
                          "not an operation of this listener");
    co_return;
  }
  const connection& c = state_of(s);
  if (!c.user) {  // [U-1]
    co_await s.send_error(request.id, proto::errc::not_authenticated, "authenticate first");
    co_return;
  }
  const std::string user = *c.user;
  if (auto* l = std::get_if<proto::list_request>(&request.request)) {
    co_await list(s, user, *l);
  } else if (auto* f = std::get_if<proto::fetch_request>(&request.request)) {
    co_await fetch(s, user, *f);
  } else {
    co_await erase(s, user, std::get<proto::delete_request>(request.request));
  }
}

awaitable<void> mailbox_handler::auth(net::session& s, const proto::auth_request& request) {
  if (state_of(s).user) {  // [U-5]
    co_await s.send_error(request.id, proto::errc::bad_request, "already authenticated");
    co_return;
  }
  const std::string address = proto::to_lower(request.user.to_string());
  const std::string address_key = "addr:" + s.peer().remote.address().to_string();
  const std::string user_key = "user:" + address;
  if (failures_.over_limit(address_key) || failures_.over_limit(user_key)) {  // [U-4]
    co_await s.send_error(request.id, proto::errc::rate_limited, "too many failed attempts");
    co_return;
  }
  bool ok = false;
  if (request.password) {
    // Look-up and KDF on the pool; the coroutine resumes on the session's strand.
    auto job = check_password(user_db_path_, address, *request.password);
    ok = co_await boost::asio::co_spawn(password_pool_, std::move(job), boost::asio::use_awaitable);
  } else if (net::certificate_names_user(s.peer(), address)) {
    // Without a password the verified client certificate must name the user ([U-2], [C-11]).
    auto job = user_exists(user_db_path_, address);
    ok = co_await boost::asio::co_spawn(password_pool_, std::move(job), boost::asio::use_awaitable);
  }
  connection& c = state_of(s);
  if (!ok) {
    failures_.count(address_key);
    failures_.count(user_key);
    ++c.failures;
    log::warn("auth.failed").kv("listener", "mailbox").kv("peer", peer_text(s)).kv("user", address);
    co_await s.send_error(request.id, proto::errc::not_authenticated, auth_refused);
    if (c.failures >= max_failures_per_connection) {
      s.close();
    }
    co_return;
  }
  c.user = address;
  log::info("auth.ok").kv("listener", "mailbox").kv("peer", peer_text(s)).kv("user", address);
  nlohmann::json fields = {{"user", request.user.to_string()}};
  co_await s.send_ok(request.id, std::move(fields));
}

awaitable<void> mailbox_handler::list(net::session& s, const std::string& user,
                                      const proto::list_request& request) {
  auto page = co_await records_.list_entries(user, request.after, list_page, now_seconds());
  if (!page) {
    log::error("store.failed").kv("op", "list").kv("code", page.error());
    co_await s.send_error(request.id, proto::errc::internal, "cannot read the mailbox");
    co_return;
  }
  // [M-2], [R-8]: at most 100 entries, and no more than fit in one frame.
  nlohmann::json messages = nlohmann::json::array();
  std::size_t bytes = 0;
  bool more = page->more;
  for (std::size_t i = 0; i < page->entries.size(); ++i) {
    const auto& e = page->entries[i];
    nlohmann::json entry = {{"id", e.id},
                            {"from", e.sender},
                            {"size", e.size},
                            {"received", e.received},
                            {"state", e.held ? "held" : "stored"}};
    const std::size_t size = entry.dump().size() + 1;
    if (i > 0 && bytes + size > max_list_bytes) {
      more = true;
      break;
    }
    bytes += size;
    messages.push_back(std::move(entry));
  }
  nlohmann::json fields = {{"messages", std::move(messages)}, {"more", more}};
  co_await s.send_ok(request.id, std::move(fields));

  // On-read ([N-16]): the user has seen the held entries; pull them in the background.
  auto released = co_await records_.release_held(user);
  if (!released) {
    log::error("store.failed").kv("op", "release_held").kv("code", released.error());
  } else if (*released > 0) {
    log::info("pull.released").kv("user", user).kv("pulls", *released);
    pulls_->wake();
  }
}

awaitable<void> mailbox_handler::fetch(net::session& s, const std::string& user,
                                       const proto::fetch_request& request) {
  auto found = co_await records_.find_entry(user, request.msg);
  if (!found) {
    log::error("store.failed").kv("op", "fetch").kv("code", found.error());
    co_await s.send_error(request.id, proto::errc::internal, "cannot read the mailbox");
    co_return;
  }
  if (!*found || (!(*found)->stored && ((*found)->state != rcpt_state::accepted ||
                                        (*found)->expires <= now_seconds()))) {
    co_await s.send_error(request.id, proto::errc::not_found, no_such_entry);  // [M-1]
    co_return;
  }
  if ((*found)->stored) {
    co_await send_body(s, request.id, *(*found)->stored);
    co_return;
  }
  // [M-3]: held, so pull now, then answer from what the store says.
  const pull_key key = (*found)->key;
  log::info("pull.on_read").kv("msg", key.msg).kv("user", user);
  const auto outcome = co_await pulls_->pull_now(key);
  auto after = co_await records_.find_entry(user, request.msg);
  if (!after) {
    log::error("store.failed").kv("op", "fetch").kv("code", after.error());
    co_await s.send_error(request.id, proto::errc::internal, "cannot read the mailbox");
    co_return;
  }
  if (*after && (*after)->stored) {
    co_await send_body(s, request.id, *(*after)->stored);
    co_return;
  }
  if (*after && (*after)->state == rcpt_state::accepted) {
    // Still held: the pull failed for now and is retried on the [L-8] schedule.
    // [E-3]: only the table's temporary codes go out as temporary.
    proto::errc code = proto::errc::internal;
    if (outcome.code && (*outcome.code == proto::errc::dns_temporary ||
                         *outcome.code == proto::errc::rate_limited)) {
      code = *outcome.code;
    }
    co_await s.send_error(request.id, code, true, "the message could not be pulled yet");
    co_return;
  }
  // Dropped or refused: [P-14], answered with the code of the pull's refusal when we made it.
  proto::errc code = proto::errc::not_found;
  if (outcome.code && !outcome.temporary) {
    code = *outcome.code;
  } else if (*after && (*after)->code) {
    code = *(*after)->code;
  }
  const std::string text =
      code == proto::errc::not_found ? no_such_entry : "the message could not be pulled";
  co_await s.send_error(request.id, code, text);
}

awaitable<void> mailbox_handler::send_body(net::session& s, std::uint64_t id,
                                           const mailbox_entry& entry) {
  const auto path = bodies_dir_ / entry.body;
  file_closer file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0 ||
      static_cast<std::uint64_t>(st.st_size) != entry.size) {
    log::error("fetch.failed").kv("id", entry.id).kv("error", "body missing or changed");
    co_await s.send_error(id, proto::errc::internal, "the message body is unavailable");
    co_return;
  }
  const int fd = file.fd;
  // Named, not a temporary in the co_await expression (GCC 12 coroutine bug). Chunks of a
  // local file: short reads, like the page-cache writes of durable_file.
  net::body_source source =
      [fd](std::span<char> buffer) -> awaitable<boost::system::result<std::size_t>> {
    for (;;) {
      const ssize_t got = ::read(fd, buffer.data(), buffer.size());
      if (got >= 0) {
        co_return static_cast<std::size_t>(got);
      }
      if (errno != EINTR) {
        co_return boost::system::error_code(errno, boost::system::system_category());
      }
    }
  };
  nlohmann::json fields = {{"size", entry.size}};
  auto ec = co_await s.send_ok_with_body(id, std::move(fields), entry.size, std::move(source));
  log::info("fetch.served")
      .kv("id", entry.id)
      .kv("user", entry.user)
      .kv("size", entry.size)
      .kv("code", ec);
}

awaitable<void> mailbox_handler::erase(net::session& s, const std::string& user,
                                       const proto::delete_request& request) {
  auto deleted = co_await records_.delete_entry(user, request.msg);  // durable ([M-4])
  if (!deleted) {
    log::error("store.failed").kv("op", "delete").kv("code", deleted.error());
    co_await s.send_error(request.id, proto::errc::internal, "cannot change the mailbox");
    co_return;
  }
  if (!*deleted) {
    co_await s.send_error(request.id, proto::errc::not_found, no_such_entry);  // [M-1]
    co_return;
  }
  log::info("delete.done").kv("id", request.msg).kv("user", user);
  co_await s.send_ok(request.id);
}

}  // namespace im2k::ims
