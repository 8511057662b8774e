// Cases against the OMS under test: the suite acts as the IMS of the suite domain (its MX host),
// learning message ids and tokens from the notifications the OMS sends it.
#include <ctime>

#include "common/crypto/sha256.hpp"
#include "proto/syntax.hpp"
#include "tests/conformance/suite.hpp"

namespace im2k::conform {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The first message submitted to the suite domain, notified to the suite's IMS.
asio::awaitable<const oms_message*> delivered(suite_context& c, std::string& why) {
  if (!c.delivered)
    c.delivered = co_await c.submit_and_wait("conform-1@" + c.t.suite_domain, why);
  co_return c.delivered ? &*c.delivered : nullptr;
}

// Built outside coroutines: GCC 12 miscompiles braced lists inside a co_await expression.
json one(const std::string& address) {
  return json::array({address});
}

json refusal(const std::string& rcpt, const std::string& message) {
  return json::array({json{{"rcpt", rcpt}, {"code", "policy"}, {"message", message}}});
}

json pull_request(const std::string& msg, const std::string& token, const std::string& domain) {
  return {{"op", "pull"}, {"id", 1}, {"msg", msg}, {"token", token}, {"rcpt_domain", domain}};
}

// A pull as mx.<suite> (an MX host of the suite domain).
asio::awaitable<reply> pull_as_mx(suite_context& c, const json& request, std::string& why) {
  auto peer = co_await c.pull_connection(c.certs.suite_mx, c.t.suite_mx_host(), why);
  if (!peer) {
    reply r;
    r.detail = why;
    co_return r;
  }
  co_return co_await peer->request(request, 60s);
}

std::string expect_code(const reply& r, const std::string& code) {
  if (!r.is_error(code))
    return "expected " + code + ", got " + r.describe();
  if (!temporary_as_table(r.object))
    return code + " with a temporary flag against the error table";
  return {};
}

asio::awaitable<std::string> recipient_state(suite_context& c, const std::string& msg,
                                             const std::string& rcpt) {
  std::string why;
  auto* u = co_await c.user_session(why);
  if (!u)
    co_return "(no user session: " + why + ")";
  json request = {{"op", "status"}, {"msg", msg}};
  auto r = co_await u->call(request);
  if (!r.ok)
    co_return "(status answered " + r.code + ")";
  for (const auto& e : r.object.value("recipients", json::array()))
    if (e.value("rcpt", "") == rcpt)
      co_return e.value("state", "?");
  co_return "(not listed)";
}

asio::awaitable<outcome> notification_received(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  const auto& n = m->notification.request;
  auto field = [&](const char* name) { return n.value(name, json()); };
  if (field("msg") != m->msg)
    co_return fail("notified msg " + field("msg").dump() + " is not the submitted " + m->msg);
  if (!field("token").is_string() || !proto::is_token(field("token").get<std::string>()))
    co_return fail("token is not 128 bits of base32: " + field("token").dump());
  if (!field("digest").is_string() || !proto::is_digest(field("digest").get<std::string>()))
    co_return fail("digest is not sha256:<hex>: " + field("digest").dump());
  if (field("from") != c.t.oms.user)
    co_return fail("from " + field("from").dump() + " is not the submitting user");
  if (field("rcpt") != one(m->rcpt))
    co_return fail("rcpt " + field("rcpt").dump());
  if (!field("expires").is_number_integer() ||
      field("expires").get<std::int64_t>() <= std::time(nullptr))
    co_return fail("expires is not in the future");
  if (m->notification.peer_host != c.t.oms.host)
    co_return fail("hello host " + m->notification.peer_host + ", expected " + c.t.oms.host);
  if (m->notification.remote_address != c.t.oms.address)
    co_return fail("notified from " + m->notification.remote_address + ", not from " +
                   c.t.oms.address + " (the address of " + c.t.oms.host + ")");
  co_return pass("msg " + m->msg + " notified to " + c.t.suite_mx_host() + " by " +
                 m->notification.peer_host + " with valid fields");
}

asio::awaitable<outcome> pull_no_certificate(suite_context& c) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, c.to_oms(nullptr), why);
  if (!peer)
    co_return pass("handshake refused (" + why + ")");
  auto r = co_await peer->hello(c.t.suite_mx_host());
  if (r.what == reply::kind::closed)
    co_return pass("closed after the handshake without a frame");
  co_return fail("expected a TLS-level refusal, got " + r.describe());
}

asio::awaitable<outcome> pull_cert_name_mismatch(suite_context& c) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, c.to_oms(&c.certs.suite_mx), why);
  if (!peer)
    co_return fail(why);
  auto r = co_await peer->hello(c.t.ims.host);
  if (!r.is_error("cert-name-mismatch") || r.object.value("re", json()) != 0)
    co_return fail("hello as " + c.t.ims.host + " with a certificate for " + c.t.suite_mx_host() +
                   " answered " + r.describe());
  if (!co_await peer->closed_within(15s))
    co_return fail("cert-name-mismatch but the connection stayed open");
  co_return pass("cert-name-mismatch, closed");
}

asio::awaitable<outcome> pull_not_mx(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  auto peer = co_await c.pull_connection(c.certs.suite_oms, c.t.suite_oms_host(), why);
  if (!peer)
    co_return fail(why);
  auto r = co_await peer->request(
      pull_request(m->msg, m->notification.request.value("token", ""), c.t.suite_domain), 60s);
  if (auto bad = expect_code(r, "not-found"); !bad.empty())
    co_return fail("a host that is not an MX host of " + c.t.suite_domain + ": " + bad);
  co_return pass("valid token from a non-MX host: not-found");
}

asio::awaitable<std::string> not_found_message(suite_context& c, const json& request,
                                               std::string& bad) {
  std::string why;
  auto r = co_await pull_as_mx(c, request, why);
  bad = expect_code(r, "not-found");
  co_return r.is_frame() ? r.object.value("message", "") : "";
}

asio::awaitable<outcome> pull_wrong_token(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  std::string bad;
  co_await not_found_message(c, pull_request(m->msg, proto::new_token(), c.t.suite_domain), bad);
  if (!bad.empty())
    co_return fail("wrong token: " + bad);
  co_return pass("wrong token: not-found");
}

asio::awaitable<outcome> pull_unknown_msg_alike(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  std::string bad_token, bad_msg, bad_domain;
  auto token_text = co_await not_found_message(
      c, pull_request(m->msg, proto::new_token(), c.t.suite_domain), bad_token);
  auto msg_text = co_await not_found_message(
      c, pull_request(proto::new_message_id(), proto::new_token(), c.t.suite_domain), bad_msg);
  auto domain_text = co_await not_found_message(
      c, pull_request(m->msg, m->notification.request.value("token", ""), c.t.ims.domain),
      bad_domain);
  if (!bad_msg.empty())
    co_return fail("unknown msg: " + bad_msg);
  if (!bad_domain.empty())
    co_return fail("token used for another rcpt_domain: " + bad_domain);
  if (!bad_token.empty())
    co_return fail("wrong token: " + bad_token);
  if (token_text != msg_text || msg_text != domain_text)
    co_return fail("not-found messages differ, so pulls can probe: \"" + token_text + "\" / \"" +
                   msg_text + "\" / \"" + domain_text + "\"");
  co_return pass("unknown msg, wrong token and other domain: not-found with one message");
}

asio::awaitable<outcome> pull_served(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  const auto& n = m->notification.request;
  auto peer = co_await c.pull_connection(c.certs.suite_mx, c.t.suite_mx_host(), why);
  if (!peer)
    co_return fail(why);
  auto r =
      co_await peer->request(pull_request(m->msg, n.value("token", ""), c.t.suite_domain), 60s);
  if (!r.is_ok())
    co_return fail("pull with the notified token answered " + r.describe());
  const auto& o = r.object;
  if (o.value("size", json()) != n.value("size", json()) ||
      o.value("body_len", json()) != n.value("size", json()) ||
      o.value("digest", json()) != n.value("digest", json()))
    co_return fail("size/body_len/digest " + o.dump() + " differ from the notification");
  auto body = co_await peer->read_body(o["body_len"].get<std::uint64_t>(), 60s);
  if (!body)
    co_return fail("the body did not arrive");
  if ("sha256:" + crypto::sha256_hex(*body) != n.value("digest", ""))
    co_return fail("the body does not hash to the notified digest");
  co_return pass("served " + std::to_string(body->size()) + " octets matching size and digest");
}

// [R-9], [R-10]: on one kept pull connection, each pull is checked on its own: a wrong token is
// not-found, the right one is served on the same connection, and a pull for a domain the
// connection's host is not an MX host of is not-found again.
asio::awaitable<outcome> reuse_per_pull_checks(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  const auto& n = m->notification.request;
  auto peer = co_await c.pull_connection(c.certs.suite_mx, c.t.suite_mx_host(), why);
  if (!peer)
    co_return fail(why);
  const std::string token = n.value("token", "");
  auto wrong =
      co_await peer->request(pull_request(m->msg, proto::new_token(), c.t.suite_domain), 60s);
  if (auto bad = expect_code(wrong, "not-found"); !bad.empty())
    co_return fail("wrong token on a kept connection: " + bad);
  auto right = co_await peer->request(pull_request(m->msg, token, c.t.suite_domain), 60s);
  if (!right.is_ok())
    co_return fail("the notified token, after a refusal on the same connection: " +
                   right.describe());
  auto body = co_await peer->read_body(right.object.value("body_len", std::uint64_t{0}), 60s);
  if (!body)
    co_return fail("the body did not arrive");
  auto other = co_await peer->request(pull_request(m->msg, token, c.t.ims.domain), 60s);
  if (auto bad = expect_code(other, "not-found"); !bad.empty())
    co_return fail("a pull for another domain on a kept connection: " + bad);
  co_return pass("not-found, served, not-found: each pull checked on one connection");
}

json ack_request(const std::string& msg, const std::string& domain, json stored,
                 json refused = json::array()) {
  return {{"op", "ack"},           {"id", 1},          {"msg", msg},
          {"rcpt_domain", domain}, {"stored", stored}, {"refused", refused}};
}

asio::awaitable<outcome> ack_not_mx(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  auto peer = co_await c.pull_connection(c.certs.suite_oms, c.t.suite_oms_host(), why);
  if (!peer)
    co_return fail(why);
  auto r = co_await peer->request(
      ack_request(m->msg, c.t.suite_domain, json::array(), refusal(m->rcpt, "x")), 60s);
  if (auto bad = expect_code(r, "not-found"); !bad.empty())
    co_return fail("ack from a host that is not an MX host: " + bad);
  auto state = co_await recipient_state(c, m->msg, m->rcpt);
  if (state == "rejected")
    co_return fail("the refused ack from a non-MX host was applied");
  co_return pass("not-found; recipient still " + state);
}

asio::awaitable<outcome> ack_duplicate(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  std::string other = "conform-other@" + c.t.suite_domain;
  auto r = co_await pull_as_mx(
      c, ack_request(m->msg, c.t.suite_domain, one(other), refusal(other, "x")), why);
  if (auto bad = expect_code(r, "bad-request"); !bad.empty())
    co_return fail("an address in stored and refused: " + bad);
  co_return pass("bad-request");
}

asio::awaitable<outcome> ack_unknown_msg(suite_context& c) {
  std::string why;
  auto r = co_await pull_as_mx(
      c,
      ack_request(proto::new_message_id(), c.t.suite_domain, one("conform-1@" + c.t.suite_domain)),
      why);
  if (!r.is_ok())
    co_return fail("ack of an unknown msg answered " + r.describe() + " (must be ok, [A-4])");
  co_return pass("ok, ignored");
}

asio::awaitable<outcome> ack_stored(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  auto r = co_await pull_as_mx(c, ack_request(m->msg, c.t.suite_domain, one(m->rcpt)), why);
  if (!r.is_ok())
    co_return fail("ack answered " + r.describe());
  auto state = co_await recipient_state(c, m->msg, m->rcpt);
  if (state != "pulled")
    co_return fail("after the ack, status shows " + state + ", not pulled");
  co_return pass("ok; status shows pulled");
}

asio::awaitable<outcome> ack_idempotent(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  auto again = co_await pull_as_mx(c, ack_request(m->msg, c.t.suite_domain, one(m->rcpt)), why);
  if (!again.is_ok())
    co_return fail("repeated ack answered " + again.describe());
  auto refused = co_await pull_as_mx(
      c, ack_request(m->msg, c.t.suite_domain, json::array(), refusal(m->rcpt, "late")), why);
  if (!refused.is_ok())
    co_return fail("a late refusal ack answered " + refused.describe());
  auto state = co_await recipient_state(c, m->msg, m->rcpt);
  if (state != "pulled")
    co_return fail("a final state changed: status shows " + state);
  co_return pass("repeated and contrary acks answered ok; recipient stays pulled");
}

asio::awaitable<outcome> pull_after_final(suite_context& c) {
  std::string why;
  const auto* m = co_await delivered(c, why);
  if (!m)
    co_return fail(why);
  auto r = co_await pull_as_mx(
      c, pull_request(m->msg, m->notification.request.value("token", ""), c.t.suite_domain), why);
  if (auto bad = expect_code(r, "not-found"); !bad.empty())
    co_return fail("pull after every recipient is pulled: " + bad);
  co_return pass("not-found once every recipient is final");
}

asio::awaitable<outcome> pull_recalled(suite_context& c) {
  std::string why;
  auto m = co_await c.submit_and_wait("conform-2@" + c.t.suite_domain, why);
  if (!m)
    co_return fail(why);
  auto* u = co_await c.user_session(why);
  json request = {{"op", "recall"}, {"msg", m->msg}};
  auto recall = co_await u->call(request);
  if (!recall.ok)
    co_return fail("recall answered " + recall.code);
  if (recall.object.value("recalled", json()) != one(m->rcpt))
    co_return fail("recall withdrew " + recall.object.value("recalled", json()).dump());
  auto r = co_await pull_as_mx(
      c, pull_request(m->msg, m->notification.request.value("token", ""), c.t.suite_domain), why);
  if (auto bad = expect_code(r, "recalled"); !bad.empty())
    co_return fail("pull of a recalled message: " + bad);
  auto state = co_await recipient_state(c, m->msg, m->rcpt);
  if (state != "recalled")
    co_return fail("status shows " + state);
  co_return pass("recalled before the pull; the pull answers recalled");
}

asio::awaitable<outcome> pull_expired(suite_context&) {
  co_return skip("needs a message past its expires; retention is at least 1 hour ([L-9])");
}

}  // namespace

std::vector<test_case> oms_cases() {
  return {
      {"oms.notify.fields",
       {"T-8", "N-15", "V-1", "V-2", "V-3", "S-9", "S-10"},
       notification_received},
      {"oms.pull.no-client-certificate", {"C-1"}, pull_no_certificate},
      {"oms.pull.cert-name-mismatch", {"H-5", "C-10"}, pull_cert_name_mismatch},
      {"oms.pull.not-an-mx-host", {"P-6", "X-8", "X-12"}, pull_not_mx},
      {"oms.pull.wrong-token", {"P-7", "P-8", "X-7"}, pull_wrong_token},
      {"oms.pull.not-found-alike", {"P-8", "X-13"}, pull_unknown_msg_alike},
      {"oms.pull.served", {"P-6", "P-9", "F-5", "F-6", "V-3"}, pull_served},
      {"oms.reuse.per-pull-checks", {"R-9", "R-10", "R-12", "P-6"}, reuse_per_pull_checks},
      {"oms.ack.not-an-mx-host", {"A-3", "X-14"}, ack_not_mx},
      {"oms.ack.duplicate-address", {"A-2"}, ack_duplicate},
      {"oms.ack.unknown-msg", {"A-4", "X-13"}, ack_unknown_msg},
      {"oms.ack.stored", {"A-4", "L-2", "Q-2"}, ack_stored},
      {"oms.ack.idempotent", {"A-5", "L-3"}, ack_idempotent},
      {"oms.pull.after-final", {"P-8"}, pull_after_final},
      {"oms.pull.recalled", {"Q-5", "Q-6", "P-8", "L-2"}, pull_recalled},
      {"oms.pull.expired", {"P-8", "L-9"}, pull_expired},
  };
}

}  // namespace im2k::conform
