#include "tests/conformance/suite.hpp"

#include <ctime>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/crypto/sha256.hpp"
#include "proto/syntax.hpp"

namespace im2k::conform {

namespace asio = boost::asio;

dial_settings suite_context::to_ims(const cert_pair* cert) const {
  dial_settings s;
  s.address = asio::ip::make_address(t.ims.address);
  s.port = t.ims.port;
  s.bind_address = asio::ip::make_address(t.suite_oms_address);
  s.server_name = t.ims.host;
  s.alpn = "im2k-notify/1";
  s.ca_file = t.ca_cert.string();
  if (cert) {
    s.cert_file = cert->cert;
    s.key_file = cert->key;
  }
  return s;
}

dial_settings suite_context::to_submit() const {
  dial_settings s;
  s.address = asio::ip::make_address(t.oms.address);
  s.port = t.oms.submit_port;
  s.server_name = t.oms.host;
  s.alpn = "im2k-submit/1";
  s.ca_file = t.ca_cert.string();
  return s;
}

dial_settings suite_context::to_oms(const cert_pair* cert) const {
  dial_settings s;
  s.address = asio::ip::make_address(t.oms.address);
  s.port = t.oms.port;
  s.bind_address = asio::ip::make_address(t.suite_mx_address);
  s.server_name = t.oms.host;
  s.alpn = "im2k-pull/1";
  s.ca_file = t.ca_cert.string();
  if (cert) {
    s.cert_file = cert->cert;
    s.key_file = cert->key;
  }
  return s;
}

asio::awaitable<std::unique_ptr<raw_peer>> suite_context::notify_connection(std::string& why) {
  auto peer = co_await raw_peer::dial(executor, to_ims(&certs.suite_oms), why);
  if (!peer) {
    why = "cannot connect to the notify listener: " + why;
    co_return nullptr;
  }
  auto r = co_await peer->hello(t.suite_oms_host());
  if (!r.is_ok()) {
    why = "hello as " + t.suite_oms_host() + " answered " + r.describe();
    co_return nullptr;
  }
  if (r.object.contains("max_message_size") && r.object["max_message_size"].is_number_unsigned())
    ims_max_message_size = r.object["max_message_size"].get<std::uint64_t>();
  co_return peer;
}

asio::awaitable<std::unique_ptr<raw_peer>> suite_context::pull_connection(const cert_pair& cert,
                                                                          const std::string& host,
                                                                          std::string& why) {
  auto peer = co_await raw_peer::dial(executor, to_oms(&cert), why);
  if (!peer) {
    why = "cannot connect to the pull listener: " + why;
    co_return nullptr;
  }
  auto r = co_await peer->hello(host);
  if (!r.is_ok()) {
    why = "hello as " + host + " answered " + r.describe();
    co_return nullptr;
  }
  co_return peer;
}

nlohmann::json suite_context::notify_request(std::uint64_t id, const std::string& msg,
                                             const std::string& from,
                                             const std::vector<std::string>& rcpt,
                                             const served_message& m) {
  return {{"op", "notify"},
          {"id", id},
          {"msg", msg},
          {"from", from},
          {"rcpt", rcpt},
          {"size", m.body.size()},
          {"digest", m.digest},
          {"token", m.token},
          {"expires", static_cast<std::int64_t>(std::time(nullptr)) + 86400}};
}

std::pair<std::string, served_message> suite_context::new_message(std::string from_header,
                                                                  std::string digest_override) {
  auto msg = proto::new_message_id();
  served_message m;
  m.body = make_message(from_header.empty() ? suite_sender() : from_header, t.ims.user,
                        "conformance " + msg);
  m.digest = digest_override.empty() ? "sha256:" + crypto::sha256_hex(m.body) : digest_override;
  m.token = proto::new_token();
  m.rcpt_domain = t.ims.domain;
  oms.add(msg, m);
  return {msg, m};
}

asio::awaitable<user_client*> suite_context::user_session(std::string& why) {
  if (!user)
    user = co_await user_client::open(executor, t, why);
  co_return user.get();
}

asio::awaitable<std::optional<oms_message>> suite_context::submit_and_wait(const std::string& rcpt,
                                                                           std::string& why) {
  auto* u = co_await user_session(why);
  if (!u)
    co_return std::nullopt;
  std::vector<std::string> to = {rcpt};
  auto submitted = co_await u->submit(to, make_message(u->user(), rcpt, "conformance"));
  if (!submitted.ok) {
    why = "submit to " + rcpt + " answered " + submitted.code;
    co_return std::nullopt;
  }
  oms_message m;
  m.msg = submitted.object.value("msg", "");
  m.rcpt = rcpt;
  auto n = co_await ims.wait_for(rcpt, std::chrono::seconds(60));
  if (!n) {
    why = "the OMS under test did not notify " + t.suite_mx_host() + " of msg " + m.msg +
          " within 60 s";
    co_return std::nullopt;
  }
  m.notification = *n;
  co_return m;
}

asio::awaitable<bool> eventually(std::function<bool()> done,
                                 std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      co_return false;
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return true;
}

asio::awaitable<void> pause(std::chrono::steady_clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(asio::use_awaitable);
}

bool temporary_as_table(const nlohmann::json& error) {
  auto code = error.value("code", "");
  if (!error.contains("temporary") || !error["temporary"].is_boolean())
    return false;
  bool temporary = error["temporary"].get<bool>();
  if (code == "policy" || code == "quota-exceeded")
    return true;
  bool expected = code == "dns-temporary" || code == "rate-limited" || code == "internal";
  return temporary == expected;
}

}  // namespace im2k::conform
