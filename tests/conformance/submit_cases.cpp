// Cases against the OMS under test's submit listener (a user listener): hello, authentication
// and the submission checks, as the OMS user of the target.
#include "proto/syntax.hpp"
#include "tests/conformance/suite.hpp"

namespace im2k::conform {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

json user_hello() {
  return {{"op", "hello"}, {"id", 0}, {"version", 1}, {"client", "im2k-conform/1"}};
}

// A submit connection past hello (no certificate); null and `why` otherwise.
asio::awaitable<std::unique_ptr<raw_peer>> submit_connection(suite_context& c, std::string& why) {
  auto peer = co_await raw_peer::dial(c.executor, c.to_submit(), why);
  if (!peer)
    co_return nullptr;
  json hello = user_hello();
  auto r = co_await peer->request(hello, 60s);
  if (!r.is_ok()) {
    why = "hello answered " + r.describe();
    co_return nullptr;
  }
  co_return peer;
}

asio::awaitable<outcome> hello_without_client(suite_context& c) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, c.to_submit(), why);
  if (!peer)
    co_return fail(why);
  json hello = {{"op", "hello"}, {"id", 0}, {"version", 1}, {"host", c.t.suite_oms_host()}};
  auto r = co_await peer->request(hello, 60s);
  if (!r.is_error("bad-request") || r.object.value("re", json()) != 0)
    co_return fail("hello without client answered " + r.describe());
  if (!co_await peer->closed_within(15s))
    co_return fail("bad-request but the connection stayed open");
  co_return pass("bad-request, closed");
}

asio::awaitable<outcome> hello_with_client(suite_context& c) {
  std::string why;
  auto peer = co_await submit_connection(c, why);
  if (!peer)
    co_return fail(why);
  co_return pass("hello with client and no certificate answered ok");
}

asio::awaitable<outcome> before_auth(suite_context& c) {
  std::string why;
  auto peer = co_await submit_connection(c, why);
  if (!peer)
    co_return fail(why);
  json status = {{"op", "status"}, {"id", 1}, {"msg", proto::new_message_id()}};
  auto r = co_await peer->request(status, 60s);
  if (!r.is_error("not-authenticated"))
    co_return fail("status before auth answered " + r.describe());
  json again = {{"op", "status"}, {"id", 2}, {"msg", proto::new_message_id()}};
  auto second = co_await peer->request(again, 60s);
  if (!second.is_error("not-authenticated"))
    co_return fail("the connection did not stay open: " + second.describe());
  co_return pass("not-authenticated; connection still open");
}

asio::awaitable<outcome> auth_failures_alike(suite_context& c) {
  std::string why;
  auto known = co_await submit_connection(c, why);
  if (!known)
    co_return fail(why);
  json wrong = {{"op", "auth"}, {"id", 1}, {"user", c.t.oms.user}, {"password", "conform-wrong"}};
  auto r1 = co_await known->request(wrong, 60s);
  auto unknown = co_await submit_connection(c, why);
  if (!unknown)
    co_return fail(why);
  json nobody = {{"op", "auth"},
                 {"id", 1},
                 {"user", "conform-nobody@" + c.t.oms.domain},
                 {"password", "conform-wrong"}};
  auto r2 = co_await unknown->request(nobody, 60s);
  if (!r1.is_error("not-authenticated"))
    co_return fail("a wrong password answered " + r1.describe());
  if (!r2.is_error("not-authenticated"))
    co_return fail("an unknown user answered " + r2.describe());
  if (r1.object.value("message", "") != r2.object.value("message", ""))
    co_return fail("the messages differ, so auth tells users apart");
  co_return pass("wrong password and unknown user: not-authenticated with one message");
}

// A submission that must be refused with `code`.
asio::awaitable<outcome> submit_refused(suite_context& c, std::string rcpt, std::string message,
                                        std::string from, std::string code) {
  std::string why;
  auto* u = co_await c.user_session(why);
  if (!u)
    co_return fail(why);
  const std::vector<std::string> to = {rcpt};
  auto r = co_await u->submit(to, message, from);
  if (r.ok)
    co_return fail("accepted (msg " + r.object.value("msg", "?") + "), expected " + code);
  if (r.code != code)
    co_return fail("refused with " + r.code + ", expected " + code);
  // The refused body was read and discarded: the next request parses ([R-6]).
  json status = {{"op", "status"}, {"msg", proto::new_message_id()}};
  auto next = co_await u->call(status);
  if (next.code != "not-found")
    co_return fail("refused with " + code + ", but the next request answered " +
                   (next.ok ? std::string("ok") : next.code));
  co_return pass("refused with " + code + "; the connection goes on");
}

std::string suite_rcpt(const suite_context& c) {
  return "conform-refused@" + c.t.suite_domain;
}

asio::awaitable<outcome> sender_not_owned(suite_context& c) {
  const std::string other = "conform-other@" + c.t.oms.domain;
  const std::string message = make_message(other, suite_rcpt(c), "conformance");
  co_return co_await submit_refused(c, suite_rcpt(c), message, other, "sender-not-owned");
}

asio::awaitable<outcome> address_literal(suite_context& c) {
  const std::string message = make_message(c.t.oms.user, "x@[127.0.0.1]", "conformance");
  co_return co_await submit_refused(c, "conform@[127.0.0.1]", message, "", "bad-address");
}

asio::awaitable<outcome> from_header_not_owned(suite_context& c) {
  const std::string message =
      make_message("conform-other@" + c.t.oms.domain, suite_rcpt(c), "conformance");
  co_return co_await submit_refused(c, suite_rcpt(c), message, "", "sender-not-owned");
}

asio::awaitable<outcome> bare_lf(suite_context& c) {
  const std::string message = "From: " + c.t.oms.user + "\nSubject: bare LF\n\nbody\n";
  co_return co_await submit_refused(c, suite_rcpt(c), message, "", "bad-request");
}

asio::awaitable<outcome> two_from_fields(suite_context& c) {
  const std::string message =
      "From: " + c.t.oms.user + "\r\nFrom: " + c.t.oms.user + "\r\nSubject: two\r\n\r\nbody\r\n";
  co_return co_await submit_refused(c, suite_rcpt(c), message, "", "bad-request");
}

asio::awaitable<outcome> second_auth(suite_context& c) {
  std::string why;
  auto* u = co_await c.user_session(why);
  if (!u)
    co_return fail(why);
  json auth = {{"op", "auth"}, {"user", c.t.oms.user}, {"password", "conform-wrong"}};
  auto r = co_await u->call(auth);
  if (r.code != "bad-request")
    co_return fail("a second auth answered " + (r.ok ? std::string("ok") : r.code));
  json status = {{"op", "status"}, {"msg", proto::new_message_id()}};
  auto next = co_await u->call(status);
  if (next.code != "not-found")
    co_return fail("after a second auth the identity is gone: status answered " +
                   (next.ok ? std::string("ok") : next.code));
  co_return pass("bad-request; the identity stays");
}

asio::awaitable<outcome> status_not_own(suite_context& c) {
  std::string why;
  auto* u = co_await c.user_session(why);
  if (!u)
    co_return fail(why);
  json status = {{"op", "status"}, {"msg", proto::new_message_id()}};
  auto r = co_await u->call(status);
  if (r.ok || r.code != "not-found")
    co_return fail("status of an unknown msg answered " + (r.ok ? std::string("ok") : r.code));
  co_return pass("not-found");
}

}  // namespace

std::vector<test_case> submit_cases() {
  return {
      {"oms.submit.hello-without-client", {"H-7"}, hello_without_client},
      {"oms.submit.hello-without-certificate", {"H-7", "C-11"}, hello_with_client},
      {"oms.submit.request-before-auth", {"U-1"}, before_auth},
      {"oms.submit.auth-failures-alike", {"U-2", "U-3", "X-19"}, auth_failures_alike},
      {"oms.submit.second-auth", {"U-5"}, second_auth},
      {"oms.submit.sender-not-owned", {"S-1", "S-2", "S-5", "R-6"}, sender_not_owned},
      {"oms.submit.address-literal", {"S-4", "D-5"}, address_literal},
      {"oms.submit.from-header-not-owned", {"S-7", "X-17"}, from_header_not_owned},
      {"oms.submit.bare-lf", {"S-6"}, bare_lf},
      {"oms.submit.two-from-fields", {"S-6"}, two_from_fields},
      {"oms.status.unknown-msg", {"Q-1", "X-20"}, status_not_own},
  };
}

}  // namespace im2k::conform
