#include "oms/submit_handler.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log/log.hpp"
#include "common/store/sqlite_db.hpp"
#include "oms/message_check.hpp"
#include "oms/user_check.hpp"
#include "oms/users.hpp"
#include "proto/fields.hpp"
#include "proto/messages/recall.hpp"
#include "proto/messages/sent.hpp"
#include "proto/messages/status.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::oms {
namespace {

using boost::asio::awaitable;
using namespace std::chrono_literals;

constexpr int max_failures_per_connection = 3;  // [U-4]
constexpr std::size_t status_page = 100;
// Room for the recipients of a status response: a frame is at most 65 536 octets ([F-2]).
constexpr std::size_t max_status_bytes = 60000;
const std::string auth_refused = "authentication failed";

// Room for the messages of a sent response, as for status.
constexpr std::size_t max_sent_bytes = 60000;

std::string peer_text(const net::session& s) {
  return net::to_string(s.peer().remote);
}

}  // namespace

submit_handler::submit_handler(const oms_config& config, spool& spool,
                               std::filesystem::path user_db_path,
                               boost::asio::thread_pool& password_pool,
                               net::auth_failures& failures, std::function<void()> submitted)
    : config_(config),
      spool_(spool),
      user_db_path_(std::move(user_db_path)),
      password_pool_(password_pool),
      submitted_(std::move(submitted)),
      failures_(failures) {}

submit_handler::connection& submit_handler::state_of(net::session& s) {
  // Forget connections that have ended (a new session may reuse an old address).
  std::erase_if(connections_, [](const auto& entry) { return entry.second.owner.expired(); });
  auto [it, inserted] = connections_.try_emplace(&s);
  if (inserted) {
    it->second.owner = s.weak_from_this();
  }
  return it->second;
}

awaitable<void> submit_handler::operator()(net::session& s, net::incoming_request request) {
  connection& c = state_of(s);
  if (auto* a = std::get_if<proto::auth_request>(&request.request)) {
    co_return co_await auth(s, c, *a);
  }
  const bool ours = std::holds_alternative<proto::submit_request>(request.request) ||
                    std::holds_alternative<proto::status_request>(request.request) ||
                    std::holds_alternative<proto::recall_request>(request.request) ||
                    std::holds_alternative<proto::sent_request>(request.request);
  if (!ours) {
    co_await s.send_error(request.id, proto::errc::bad_request,
                          "not an operation of this listener");
    co_return;
  }
  if (!c.user) {  // [U-1]
    co_await s.send_error(request.id, proto::errc::not_authenticated, "authenticate first");
    co_return;
  }
  const std::string user = *c.user;
  const std::optional<std::uint64_t> quota = c.quota;
  if (auto* r = std::get_if<proto::submit_request>(&request.request)) {
    co_await submit(s, user, quota, *r);
  } else if (std::holds_alternative<proto::status_request>(request.request)) {
    co_await status(s, user, request);
  } else if (auto* sr = std::get_if<proto::sent_request>(&request.request)) {
    co_await sent(s, user, *sr);
  } else {
    co_await recall(s, user, std::get<proto::recall_request>(request.request));
  }
}

awaitable<void> submit_handler::auth(net::session& s, connection& c,
                                     const proto::auth_request& request) {
  if (c.user) {  // [U-5]
    co_await s.send_error(request.id, proto::errc::bad_request, "already authenticated");
    co_return;
  }
  const std::string address = proto::to_lower(request.user.to_string());
  const std::string address_key = "addr:" + s.peer().remote.address().to_string();
  const std::string user_key = "user:" + address;
  if (failures_.over_limit(address_key) || failures_.over_limit(user_key)) {
    co_await s.send_error(request.id, proto::errc::rate_limited, "too many failed attempts");
    co_return;
  }
  bool ok = false;
  user_quota quota;
  if (request.password) {
    // Look-up and KDF on the pool; the coroutine resumes on the session's strand.
    auto job = check_password(user_db_path_, address, *request.password);
    auto checked =
        co_await boost::asio::co_spawn(password_pool_, std::move(job), boost::asio::use_awaitable);
    ok = checked.ok;
    quota = checked.quota;
  } else if (net::certificate_names_user(s.peer(), address)) {
    // Without a password the verified client certificate must name the user ([U-2], [C-11]).
    auto job = check_certified_user(user_db_path_, address);
    auto checked =
        co_await boost::asio::co_spawn(password_pool_, std::move(job), boost::asio::use_awaitable);
    ok = checked.ok;
    quota = checked.quota;
  }
  if (!ok) {
    failures_.count(address_key);
    failures_.count(user_key);
    ++c.failures;
    log::warn("auth.failed").kv("peer", peer_text(s)).kv("user", address);
    co_await s.send_error(request.id, proto::errc::not_authenticated, auth_refused);
    if (c.failures >= max_failures_per_connection) {
      s.close();
    }
    co_return;
  }
  c.user = address;
  c.quota = quota.effective(config_.quota_default);
  log::info("auth.ok").kv("peer", peer_text(s)).kv("user", address);
  nlohmann::json fields = {{"user", request.user.to_string()}};
  co_await s.send_ok(request.id, std::move(fields));
}

awaitable<void> submit_handler::submit(net::session& s, const std::string& user,
                                       std::optional<std::uint64_t> quota,
                                       const proto::submit_request& request) {
  // [S-1] step 2 (addresses, literals) is the codec's; step 3:
  if (!proto::iequals(request.from.to_string(), user)) {  // [S-2]
    co_await s.send_error(request.id, proto::errc::sender_not_owned,
                          "the envelope sender is not yours");
    co_return;
  }
  if (quota) {  // [S-1] step 4, [S-8]: before anything is stored; the session discards the body
    auto used = co_await spool_.spooled_bytes(user);
    if (!used) {
      log::error("submit.failed").kv("user", user).kv("code", used.error());
      co_await s.send_error(request.id, proto::errc::internal, "cannot read the spool");
      co_return;
    }
    if (request.body_len > *quota || *used > *quota - request.body_len) {
      log::info("submit.refused")
          .kv("peer", peer_text(s))
          .kv("user", user)
          .kv("code", "quota-exceeded")
          .kv("spooled", *used)
          .kv("quota", *quota);
      const std::string why = "over your quota of " + std::to_string(*quota) + " octets (" +
                              std::to_string(*used) + " spooled)";
      co_await s.send_error(request.id, proto::errc::quota_exceeded, why);
      co_return;
    }
  }
  const std::string msg = proto::new_message_id();
  auto body = spool_.create_body(msg);
  if (!body) {
    log::error("submit.failed").kv("msg", msg).kv("code", body.error());
    co_await s.send_error(request.id, proto::errc::internal, "cannot store the message");
    co_return;
  }
  message_scanner scanner;
  boost::system::error_code write_error;
  // Named, not a temporary in the co_await expression (GCC 12 coroutine bug).
  net::body_sink sink = [&](std::span<const char> chunk) -> awaitable<boost::system::error_code> {
    const std::string_view bytes(chunk.data(), chunk.size());
    scanner.feed(bytes);
    if (!write_error) {
      write_error = body->append(bytes);
    }
    co_return boost::system::error_code{};
  };
  auto read = co_await s.read_body(std::move(sink));
  if (!read) {
    body->abort();
    co_return;  // the connection is gone or broken; nothing to answer
  }
  if (write_error) {
    body->abort();
    log::error("submit.failed").kv("msg", msg).kv("code", write_error);
    co_await s.send_error(request.id, proto::errc::internal, "cannot store the message");
    co_return;
  }
  auto from_header = scanner.finish();
  if (!from_header) {  // [S-6], [S-7]
    body->abort();
    log::info("submit.refused")
        .kv("peer", peer_text(s))
        .kv("user", user)
        .kv("code", proto::to_string(from_header.error().code));
    co_await s.send_error(request.id, from_header.error().code, from_header.error().message);
    co_return;
  }
  if (!proto::iequals(from_header->to_string(), user) ||
      from_header->domain != request.from.domain) {  // [S-7]
    body->abort();
    log::info("submit.refused")
        .kv("peer", peer_text(s))
        .kv("user", user)
        .kv("code", "sender-not-owned");
    co_await s.send_error(request.id, proto::errc::sender_not_owned,
                          "the From: address is not yours");
    co_return;
  }

  new_message m;
  m.msg = msg;
  m.owner = user;
  m.from = request.from;
  m.rcpt = request.rcpt;
  for (const auto& r : m.rcpt) {
    if (!m.tokens.contains(r.domain)) {
      m.tokens[r.domain] = proto::new_token();  // [V-2], [N-15]
    }
  }
  m.submitted = unix_now();
  m.expires = m.submitted + config_.retention.count();
  const std::size_t size = body->size();
  const std::size_t domains = m.tokens.size();
  nlohmann::ordered_json rcpts = nlohmann::ordered_json::array();
  for (const auto& r : m.rcpt) {
    rcpts.push_back(r.to_string());
  }
  auto ec = co_await spool_.add_message(std::move(m), std::move(*body));
  if (ec) {
    log::error("submit.failed").kv("msg", msg).kv("code", ec);
    co_await s.send_error(request.id, proto::errc::internal, "cannot store the message");
    co_return;
  }
  log::info("submit.accepted")
      .kv("msg", msg)
      .kv("peer", peer_text(s))
      .kv("from", request.from.to_string())
      .kv_json("rcpt", rcpts)
      .kv("domains", domains)
      .kv("size", size);
  nlohmann::json fields = {{"msg", msg}};
  co_await s.send_ok(request.id, std::move(fields));  // [S-9]: durable by now
  if (submitted_) {
    submitted_();
  }
}

awaitable<void> submit_handler::status(net::session& s, const std::string& user,
                                       const net::incoming_request& request) {
  const auto& r = std::get<proto::status_request>(request.request);
  auto records = co_await spool_.status(r.msg, user);
  if (!records) {
    co_await s.send_error(request.id, proto::errc::internal, "cannot read the spool");
    co_return;
  }
  if (!*records) {
    co_await s.send_error(request.id, proto::errc::not_found, "no such message");
    co_return;
  }
  const auto& all = **records;
  std::size_t start = 0;
  if (const auto* after = proto::fields::find(request.object, "after")) {
    auto a = proto::fields::address_value(*after, "after");
    auto it = all.end();
    if (a) {
      it = std::find_if(all.begin(), all.end(), [&](const recipient_record& rec) {
        return proto::iequals(rec.rcpt.to_string(), a->to_string());
      });
    }
    if (it == all.end()) {
      co_await s.send_error(request.id, proto::errc::bad_request, "after: not a recipient");
      co_return;
    }
    start = static_cast<std::size_t>(it - all.begin()) + 1;
  }
  // at most 100 recipients, and no more than fit in one frame.
  nlohmann::json list = nlohmann::json::array();
  std::size_t bytes = 0;
  std::size_t end = start;
  for (; end < all.size() && end < start + status_page; ++end) {
    const auto& rec = all[end];
    proto::status_response one;
    proto::recipient_status st;
    st.rcpt = rec.rcpt;
    st.state = rec.state;
    st.at = static_cast<std::uint64_t>(rec.at);
    st.code = rec.code;
    st.message = rec.message;
    if (rec.next_attempt &&
        (rec.state == rcpt_state::queued || rec.state == rcpt_state::deferred)) {
      st.next_attempt = static_cast<std::uint64_t>(*rec.next_attempt);
    }
    one.recipients.push_back(std::move(st));
    nlohmann::json entry = proto::to_json(one)["recipients"][0];
    const std::size_t size = entry.dump().size() + 1;
    if (end > start && bytes + size > max_status_bytes) {
      break;
    }
    bytes += size;
    list.push_back(std::move(entry));
  }
  nlohmann::json fields = {
      {"msg", r.msg}, {"recipients", std::move(list)}, {"more", end < all.size()}};
  co_await s.send_ok(request.id, std::move(fields));
}

awaitable<void> submit_handler::recall(net::session& s, const std::string& user,
                                       const proto::recall_request& request) {
  auto recalled = co_await spool_.recall(request.msg, user, unix_now());
  if (!recalled) {
    co_await s.send_error(request.id, proto::errc::internal, "cannot change the spool");
    co_return;
  }
  if (!*recalled) {
    co_await s.send_error(request.id, proto::errc::not_found, "no such message");
    co_return;
  }
  nlohmann::json list = nlohmann::json::array();
  nlohmann::ordered_json logged = nlohmann::ordered_json::array();
  for (const auto& a : **recalled) {
    list.push_back(a.to_string());
    logged.push_back(a.to_string());
  }
  log::info("recall.done").kv("msg", request.msg).kv("user", user).kv_json("rcpt", logged);
  nlohmann::json fields = {{"msg", request.msg}, {"recalled", std::move(list)}};
  co_await s.send_ok(request.id, std::move(fields));
}

awaitable<void> submit_handler::sent(net::session& s, const std::string& user,
                                     const proto::sent_request& request) {
  // One more than a page, to tell whether more follow ([Q-9]).
  auto records = co_await spool_.sent(user, request.before, proto::max_sent_messages + 1,
                                      proto::max_sent_recipients);
  if (!records) {
    co_await s.send_error(request.id, proto::errc::internal, "cannot read the spool");
    co_return;
  }
  if (!*records) {  // unknown and foreign alike
    co_await s.send_error(request.id, proto::errc::bad_request, "before: not a message of yours");
    co_return;
  }
  const auto& all = **records;
  // at most 20 messages and 100 recipients each, within one frame; the
  // first message always, with at least its first recipient.
  nlohmann::json list = nlohmann::json::array();
  std::size_t bytes = 0;
  std::size_t taken = 0;
  for (; taken < all.size() && taken < proto::max_sent_messages; ++taken) {
    const auto& record = all[taken];
    proto::sent_message m;
    m.msg = record.msg;
    m.submitted = static_cast<std::uint64_t>(record.submitted);
    m.size = record.size;
    m.rcpt_count = record.rcpt_count;
    std::size_t entry_bytes = proto::to_json(m).dump().size() + 1;
    for (const auto& rec : record.recipients) {
      proto::sent_recipient r{rec.rcpt, rec.state, static_cast<std::uint64_t>(rec.at), rec.code,
                              rec.message};
      proto::sent_message one;
      one.recipients.push_back(r);
      const std::size_t size = proto::to_json(one)["recipients"][0].dump().size() + 1;
      if (!m.recipients.empty() && bytes + entry_bytes + size > max_sent_bytes) {
        break;
      }
      entry_bytes += size;
      m.recipients.push_back(std::move(r));
    }
    if (taken > 0 && bytes + entry_bytes > max_sent_bytes) {
      break;
    }
    bytes += entry_bytes;
    list.push_back(proto::to_json(m));
  }
  nlohmann::json fields = {{"messages", std::move(list)}, {"more", taken < all.size()}};
  co_await s.send_ok(request.id, std::move(fields));
}

}  // namespace im2k::oms
