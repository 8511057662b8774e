#include "oms/pull_handler.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "common/dns/mx.hpp"
#include "common/log/log.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::oms {
namespace {

using boost::asio::awaitable;

// What a refused MX check answers. A named value, never a conditional expression inside a
// co_await: GCC 12 destroys such temporaries twice.
std::string mx_refusal_text(proto::errc code);

// [P-8]: every unverifiable pull gets this one message.
const std::string not_found_text = "no such message";
// [P-7]: compared against when no token exists, so that time does not tell.
const std::string fixed_token = "aaaaaaaaaaaaaaaaaaaaaaaaaa";

// Closes the body file when the transfer ends.
struct file_closer {
  int fd;
  ~file_closer() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

std::string mx_refusal_text(proto::errc code) {
  return code == proto::errc::dns_temporary ? "MX look-up failed, try later" : not_found_text;
}

}  // namespace

awaitable<void> pull_handler::operator()(net::session& s, net::incoming_request request) {
  if (auto* p = std::get_if<proto::pull_request>(&request.request)) {
    co_await pull(s, *p);
  } else if (auto* a = std::get_if<proto::ack_request>(&request.request)) {
    co_await ack(s, *a);
  } else {  // [U-6]
    co_await s.send_error(request.id, proto::errc::bad_request,
                          "not an operation of this listener");
  }
}

awaitable<std::optional<proto::errc>> pull_handler::check_mx(const net::session& s,
                                                             const std::string& domain) {
  auto check = co_await dns::is_mx_host(resolver_, domain, s.peer().host);
  switch (check.result) {
    case dns::mx_membership::member:
      co_return std::nullopt;
    case dns::mx_membership::temporary:
      co_return proto::errc::dns_temporary;
    case dns::mx_membership::not_member:
      break;
  }
  co_return proto::errc::not_found;
}

awaitable<void> pull_handler::pull(net::session& s, const proto::pull_request& request) {
  const std::string peer = s.peer().host;
  // Not a coroutine itself: it logs and hands back send_error's awaitable.
  auto refuse = [&](proto::errc code, std::string text, std::string_view why) {
    log::info("pull.refused")
        .kv("msg", request.msg)
        .kv("peer", peer)
        .kv("rcpt_domain", request.rcpt_domain)
        .kv("code", proto::to_string(code))
        .kv("reason", why);
    return s.send_error(request.id, code, std::move(text));
  };
  if (auto refusal = co_await check_mx(s, request.rcpt_domain)) {  // [P-6] step 2
    const std::string text = mx_refusal_text(*refusal);
    co_await refuse(*refusal, text, "not an MX host");
    co_return;
  }
  auto target = co_await spool_.find_pull(request.msg, request.rcpt_domain);
  if (!target) {
    co_await refuse(proto::errc::internal, "cannot read the spool", "spool");
    co_return;
  }
  // [P-6] step 3, [P-7]: always one constant-time comparison.
  const bool token_ok =
      proto::secret_equals(request.token, *target ? (*target)->token : fixed_token);
  if (!*target || !token_ok) {
    co_await refuse(proto::errc::not_found, not_found_text, "token");
    co_return;
  }
  const pull_target& t = **target;
  switch (decide_pull(t.states, unix_now() >= t.expires)) {  // [P-8]
    case pull_decision::serve:
      break;
    case pull_decision::recalled:
      co_await refuse(proto::errc::recalled, "the sender recalled the message", "recalled");
      co_return;
    case pull_decision::expired:
      co_await refuse(proto::errc::expired, "the message has expired", "expired");
      co_return;
    case pull_decision::not_found:
      co_await refuse(proto::errc::not_found, not_found_text, "final");
      co_return;
  }
  file_closer file{::open(t.body.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    log::error("pull.failed").kv("msg", request.msg).kv("error", "body missing");
    co_await s.send_error(request.id, proto::errc::internal, "the message body is unavailable");
    co_return;
  }
  // [K-5]: the served mark is durable before the body leaves.
  if (auto ec = co_await spool_.mark_pull_served(request.msg, request.rcpt_domain)) {
    log::error("pull.failed").kv("msg", request.msg).kv("code", ec);
    co_await s.send_error(request.id, proto::errc::internal, "cannot update the spool");
    co_return;
  }
  const int fd = file.fd;
  nlohmann::json fields = {{"size", t.size}, {"digest", t.digest}};
  // Named, not a temporary in the co_await expression: GCC 12 destroys such temporaries twice.
  net::body_source source =
      [fd](std::span<char> buffer) -> awaitable<boost::system::result<std::size_t>> {
    // A local file read: short, like the page-cache writes of durable_file.
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
  auto ec = co_await s.send_ok_with_body(request.id, std::move(fields), t.size, std::move(source));
  log::info("pull.served")
      .kv("msg", request.msg)
      .kv("peer", peer)
      .kv("rcpt_domain", request.rcpt_domain)
      .kv("size", t.size)
      .kv("code", ec);
}

awaitable<void> pull_handler::ack(net::session& s, const proto::ack_request& request) {
  const std::string peer = s.peer().host;
  if (auto refusal = co_await check_mx(s, request.rcpt_domain)) {
    const std::string text = mx_refusal_text(*refusal);
    log::info("ack.refused")
        .kv("msg", request.msg)
        .kv("peer", peer)
        .kv("rcpt_domain", request.rcpt_domain)
        .kv("code", proto::to_string(*refusal));
    co_await s.send_error(request.id, *refusal, text);
    co_return;
  }
  std::vector<ack_refusal> refused;
  nlohmann::ordered_json stored_log = nlohmann::ordered_json::array();
  nlohmann::ordered_json refused_log = nlohmann::ordered_json::array();
  for (const auto& a : request.stored) {
    stored_log.push_back(a.to_string());
  }
  for (const auto& r : request.refused) {
    refused.push_back(ack_refusal{r.rcpt, r.code, r.message});
    refused_log.push_back({{"rcpt", r.rcpt.to_string()}, {"code", proto::to_string(r.code)}});
  }
  auto ec = co_await spool_.apply_ack(request.msg, request.rcpt_domain, request.stored,
                                      std::move(refused), unix_now());
  if (ec) {
    log::error("ack.failed").kv("msg", request.msg).kv("code", ec);
    co_await s.send_error(request.id, proto::errc::internal, "cannot update the spool");
    co_return;
  }
  log::info("ack.received")
      .kv("msg", request.msg)
      .kv("peer", peer)
      .kv("rcpt_domain", request.rcpt_domain)
      .kv_json("stored", stored_log)
      .kv_json("refused", refused_log);
  co_await s.send_ok(request.id);  // durable by now, ok also when all was ignored
}

}  // namespace im2k::oms
