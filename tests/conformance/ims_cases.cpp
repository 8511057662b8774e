// Cases against the IMS under test: the suite acts as the OMS of the suite domain.
#include <ctime>

#include "proto/syntax.hpp"
#include "tests/conformance/suite.hpp"

namespace im2k::conform {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Why `r` is not the error `code` answering `re` (with the table's `temporary`); empty if it is.
std::string not_error(const reply& r, const std::string& code, const json& re) {
  if (!r.is_error(code))
    return "expected error " + code + ", got " + r.describe();
  if (r.object.value("re", json()) != re)
    return "error " + code + " answers re " + r.object.value("re", json()).dump() + ", not " +
           re.dump();
  if (!temporary_as_table(r.object))
    return "error " + code + " has temporary " + r.object.value("temporary", json()).dump() +
           " against the error table";
  if (!r.object.contains("message") || !r.object["message"].is_string())
    return "error " + code + " has no message string";
  return {};
}

// The connection still answers requests (an unknown op gets bad-request).
asio::awaitable<bool> still_open(raw_peer& peer) {
  json probe = {{"op", "conform-probe"}, {"id", 999}};
  auto r = co_await peer.request(probe, 30s);
  co_return r.is_error("bad-request");
}

// A TLS-level refusal: the handshake fails, or the server closes without any im2k frame.
asio::awaitable<outcome> refused_in_handshake(suite_context& c, dial_settings s,
                                              std::string hello_host) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, s, why);
  if (!peer)
    co_return pass("handshake refused (" + why + ")");
  auto r = co_await peer->hello(hello_host);
  if (r.what == reply::kind::closed)
    co_return pass("connection closed after the handshake without a frame");
  if (r.is_ok())
    co_return fail("hello answered ok: the connection was accepted");
  co_return fail("expected a TLS-level refusal, got " + r.describe() +
                 " (a TLS refusal sends no im2k frame, [C-9])");
}

// A hello that must be refused with `code` and "re": 0, then the connection closed.
asio::awaitable<outcome> hello_refused(suite_context& c, dial_settings s, json hello,
                                       std::string code, json re = 0) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, s, why);
  if (!peer)
    co_return fail(why);
  auto r = co_await peer->request(hello, 60s);
  if (auto bad = not_error(r, code, re); !bad.empty())
    co_return fail(bad);
  if (!co_await peer->closed_within(15s))
    co_return fail("refused with " + code + " but the connection stayed open");
  co_return pass("refused with " + code + " and closed");
}

// A framing error after hello: the server closes, after at most one `re: null` bad-request.
asio::awaitable<outcome> framing_error(suite_context& c, std::string octets,
                                       std::string expected_code = "bad-request") {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  if (!co_await peer->write_raw(std::move(octets)))
    co_return pass("the server closed while the frame was written");
  reply frame;
  if (!co_await peer->closed_within(15s, &frame))
    co_return fail("the connection stayed open after a framing error");
  if (frame.is_frame()) {
    if (auto bad = not_error(frame, expected_code, nullptr); !bad.empty())
      co_return fail("closed, but first sent: " + bad);
    co_return pass("answered " + expected_code + " with re null, then closed");
  }
  co_return pass("closed without a response");
}

// A notification refused as a whole with `code`; the connection stays open.
asio::awaitable<outcome> notify_refused(suite_context& c, json request, std::string code) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  auto id = request.value("id", json());
  auto r = co_await peer->request(request, 60s);
  if (auto bad = not_error(r, code, id); !bad.empty())
    co_return fail(bad);
  if (!co_await still_open(*peer))
    co_return fail("refused with " + code + ", but the connection did not stay open");
  co_return pass("refused with " + code + "; connection still open");
}

// A valid notification for the IMS user, changed by `edit`.
json edited_notify(suite_context& c, std::function<void(json&)> edit) {
  auto [msg, m] = c.new_message();
  auto request = c.notify_request(1, msg, c.suite_sender(), {c.t.ims.user}, m);
  edit(request);
  return request;
}

std::string unknown_user(const suite_context& c) {
  return "conform-nobody-" + proto::new_token().substr(0, 8) + "@" + c.t.ims.domain;
}

json hello_json(json host, std::int64_t version = 1, std::int64_t id = 0) {
  json h = {{"op", "hello"}, {"id", id}, {"version", version}};
  if (!host.is_null())
    h["host"] = host;
  return h;
}

// ---- hello ----------------------------------------------------------------------------------

asio::awaitable<outcome> hello_version_1(suite_context& c) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, c.to_ims(&c.certs.suite_oms), why);
  if (!peer)
    co_return fail(why);
  auto r = co_await peer->hello(c.t.suite_oms_host());
  if (!r.is_ok())
    co_return fail("hello answered " + r.describe());
  const auto& o = r.object;
  if (o.value("re", json()) != 0)
    co_return fail("hello response has re " + o.value("re", json()).dump());
  if (o.value("version", json()) != 1)
    co_return fail("version " + o.value("version", json()).dump() + ", not 1");
  if (!o.contains("host") || !o["host"].is_string() ||
      !proto::is_host_name(o["host"].get<std::string>()))
    co_return fail("hello response without a valid host");
  if (!o.contains("max_message_size") || !o["max_message_size"].is_number_unsigned() ||
      o["max_message_size"].get<std::uint64_t>() < 1)
    co_return fail("hello response without a valid max_message_size");
  co_return pass("ok, version 1, host " + o["host"].get<std::string>() + ", max_message_size " +
                 o["max_message_size"].dump());
}

asio::awaitable<outcome> hello_version_2(suite_context& c) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, c.to_ims(&c.certs.suite_oms), why);
  if (!peer)
    co_return fail(why);
  auto r = co_await peer->hello(c.t.suite_oms_host(), 2);
  if (r.is_ok() && r.object.value("version", json()) == 1)
    co_return pass("version 2 offered, version 1 answered");
  if (r.is_error("unsupported-version"))
    co_return fail("answered unsupported-version, but a version 1 server speaks 1 <= 2 ([H-3])");
  co_return fail("hello version 2 answered " + r.describe());
}

// Version 0 breaks the field rule (1 ... 65 535: bad-request, [H-2]) and has no common version
// ([H-3]: unsupported-version); SPEC.md does not rank the two, so either passes.
asio::awaitable<outcome> hello_version_0(suite_context& c) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, c.to_ims(&c.certs.suite_oms), why);
  if (!peer)
    co_return fail(why);
  auto r = co_await peer->hello(c.t.suite_oms_host(), 0);
  auto code = r.is_frame() ? r.object.value("code", "") : std::string();
  if (code != "bad-request" && code != "unsupported-version")
    co_return fail("expected bad-request or unsupported-version, got " + r.describe());
  if (auto bad = not_error(r, code, 0); !bad.empty())
    co_return fail(bad);
  if (!co_await peer->closed_within(15s))
    co_return fail("refused with " + code + " but the connection stayed open");
  co_return pass("refused with " + code + " and closed");
}

asio::awaitable<outcome> hello_missing_host(suite_context& c) {
  co_return co_await hello_refused(c, c.to_ims(&c.certs.suite_oms), hello_json(nullptr),
                                   "bad-request");
}

asio::awaitable<outcome> hello_id_not_zero(suite_context& c) {
  co_return co_await hello_refused(c, c.to_ims(&c.certs.suite_oms),
                                   hello_json(c.t.suite_oms_host(), 1, 5), "bad-request");
}

asio::awaitable<outcome> hello_not_first(suite_context& c) {
  auto request = edited_notify(c, [](json&) {});
  co_return co_await hello_refused(c, c.to_ims(&c.certs.suite_oms), request, "bad-request", 1);
}

asio::awaitable<outcome> hello_cert_name_mismatch(suite_context& c) {
  co_return co_await hello_refused(c, c.to_ims(&c.certs.suite_oms), hello_json(c.t.suite_mx_host()),
                                   "cert-name-mismatch");
}

asio::awaitable<outcome> hello_source_address(suite_context& c) {
  auto s = c.to_ims(&c.certs.suite_oms);
  s.bind_address = asio::ip::make_address(c.t.stray_address);
  co_return co_await hello_refused(c, s, hello_json(c.t.suite_oms_host()), "sender-not-designated");
}

asio::awaitable<outcome> hello_second(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  auto r = co_await peer->request(hello_json(c.t.suite_oms_host(), 1, 0), 30s);
  if (auto bad = not_error(r, "bad-request", 0); !bad.empty())
    co_return fail(bad);
  if (!co_await still_open(*peer))
    co_return fail("the connection did not stay open after a second hello");
  co_return pass("second hello refused with bad-request; connection still open");
}

asio::awaitable<outcome> hello_unknown_member(suite_context& c) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, c.to_ims(&c.certs.suite_oms), why);
  if (!peer)
    co_return fail(why);
  auto h = hello_json(c.t.suite_oms_host());
  h["conform_future_field"] = {{"nested", true}};
  h["client"] = "ignored/1";
  auto r = co_await peer->request(h, 60s);
  if (!r.is_ok())
    co_return fail("hello with unknown members answered " + r.describe());
  co_return pass("unknown members and client ignored");
}

asio::awaitable<outcome> hello_wildcard(suite_context& c) {
  std::string why;
  auto peer = co_await raw_peer::dial(c.executor, c.to_ims(&c.certs.wildcard), why);
  if (!peer)
    co_return fail(why);
  auto r = co_await peer->hello(c.t.suite_oms_host());
  if (!r.is_ok())
    co_return fail("a certificate for *." + c.t.suite_domain + " as " + c.t.suite_oms_host() +
                   ": hello answered " + r.describe());
  co_return pass("*." + c.t.suite_domain + " names " + c.t.suite_oms_host());
}

asio::awaitable<outcome> hello_tld_wildcard(suite_context& c) {
  co_return co_await hello_refused(c, c.to_ims(&c.certs.tld_wildcard),
                                   hello_json(c.t.suite_oms_host()), "cert-name-mismatch");
}

asio::awaitable<outcome> hello_bad_host_syntax(suite_context& c) {
  co_return co_await hello_refused(c, c.to_ims(&c.certs.suite_oms),
                                   hello_json("oms.." + c.t.suite_domain), "bad-request");
}

// ---- TLS ------------------------------------------------------------------------------------

asio::awaitable<outcome> tls_with(suite_context& c, const cert_pair* cert) {
  co_return co_await refused_in_handshake(c, c.to_ims(cert), c.t.suite_oms_host());
}

asio::awaitable<outcome> tls_no_certificate(suite_context& c) {
  return tls_with(c, nullptr);
}
asio::awaitable<outcome> tls_unknown_ca(suite_context& c) {
  return tls_with(c, &c.certs.unknown_ca);
}
asio::awaitable<outcome> tls_self_signed(suite_context& c) {
  return tls_with(c, &c.certs.self_signed);
}
asio::awaitable<outcome> tls_expired(suite_context& c) {
  return tls_with(c, &c.certs.expired);
}
asio::awaitable<outcome> tls_not_yet_valid(suite_context& c) {
  return tls_with(c, &c.certs.not_yet);
}
asio::awaitable<outcome> tls_wrong_usage(suite_context& c) {
  return tls_with(c, &c.certs.server_only);
}

asio::awaitable<outcome> tls_revoked(suite_context& c) {
  if (!c.revocation_published)
    co_return skip(
        "needs a testbed: the suite publishes a CRL listing its certificate and "
        "sends the IMS SIGHUP");
  // The IMS reloads on SIGHUP asynchronously: allow it a few attempts.
  outcome last;
  for (int attempt = 0; attempt < 10; ++attempt) {
    last = co_await tls_with(c, &c.certs.revoked);
    if (last.result == verdict::pass)
      co_return last;
    co_await pause(1s);
  }
  co_return last;
}

asio::awaitable<outcome> tls_wrong_alpn(suite_context& c) {
  auto s = c.to_ims(&c.certs.suite_oms);
  s.alpn = "im2k-pull/1";
  co_return co_await refused_in_handshake(c, s, c.t.suite_oms_host());
}

asio::awaitable<outcome> tls_no_alpn(suite_context& c) {
  auto s = c.to_ims(&c.certs.suite_oms);
  s.alpn.clear();
  co_return co_await refused_in_handshake(c, s, c.t.suite_oms_host());
}

asio::awaitable<outcome> tls_version_12(suite_context& c) {
  auto s = c.to_ims(&c.certs.suite_oms);
  s.tls12_only = true;
  co_return co_await refused_in_handshake(c, s, c.t.suite_oms_host());
}

// ---- framing --------------------------------------------------------------------------------

asio::awaitable<outcome> frame_zero_length(suite_context& c) {
  return framing_error(c, std::string(4, '\0'));
}

asio::awaitable<outcome> frame_too_long(suite_context& c) {
  // 65 537 announced; the server must not wait for the octets ([F-2]).
  return framing_error(c, std::string("\x00\x01\x00\x01", 4));
}

asio::awaitable<outcome> frame_invalid_utf8(suite_context& c) {
  return framing_error(c, raw_frame("{\"op\":\"x\xff\",\"id\":1}"));
}

asio::awaitable<outcome> frame_overlong_utf8(suite_context& c) {
  return framing_error(c, raw_frame("{\"op\":\"x\xc0\xaf\",\"id\":1}"));
}

asio::awaitable<outcome> frame_surrogate(suite_context& c) {
  return framing_error(c, raw_frame("{\"op\":\"x\xed\xa0\x80\",\"id\":1}"));
}

asio::awaitable<outcome> frame_not_json(suite_context& c) {
  return framing_error(c, raw_frame("{\"op\":\"notify\",\"id\":1"));
}

asio::awaitable<outcome> frame_not_object(suite_context& c) {
  return framing_error(c, raw_frame("[{\"op\":\"notify\",\"id\":1}]"));
}

asio::awaitable<outcome> frame_trailing(suite_context& c) {
  return framing_error(c, raw_frame("{\"op\":\"x\",\"id\":1} {}"));
}

asio::awaitable<outcome> frame_duplicate_member(suite_context& c) {
  return framing_error(c, raw_frame("{\"op\":\"x\",\"id\":1,\"a\":{\"b\":1,\"b\":2}}"));
}

asio::awaitable<outcome> frame_too_deep(suite_context& c) {
  std::string deep = std::string(17, '[') + std::string(17, ']');
  return framing_error(c, raw_frame("{\"op\":\"x\",\"id\":1,\"a\":" + deep + "}"));
}

asio::awaitable<outcome> frame_truncated(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  auto frame = raw_frame("{\"op\":\"conform-probe\",\"id\":1,\"pad\":\"xxxxxxxxxxxxxxxxxxxx\"}");
  frame.resize(frame.size() / 2);
  co_await peer->write_raw(frame);
  peer->shutdown_send();
  reply first;
  if (!co_await peer->closed_within(15s, &first))
    co_return fail("the connection stayed open after a truncated frame");
  if (first.is_frame() && first.is_ok())
    co_return fail("a truncated frame was answered ok");
  co_return pass("closed");
}

// ---- requests -------------------------------------------------------------------------------

asio::awaitable<outcome> request_unknown_op(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  json request = {{"op", "conform-frobnicate"}, {"id", 7}};
  auto r = co_await peer->request(request, 30s);
  if (auto bad = not_error(r, "bad-request", 7); !bad.empty())
    co_return fail(bad);
  if (!co_await still_open(*peer))
    co_return fail("the connection did not stay open");
  co_return pass("bad-request, re 7, temporary false; connection still open");
}

asio::awaitable<outcome> request_wrong_listener(suite_context& c) {
  json pull = {{"op", "pull"},
               {"id", 3},
               {"msg", proto::new_message_id()},
               {"token", proto::new_token()},
               {"rcpt_domain", c.t.ims.domain}};
  co_return co_await notify_refused(c, pull, "bad-request");
}

asio::awaitable<outcome> request_pipelining(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  std::string octets;
  for (int id : {11, 12, 13})
    octets += raw_frame(json{{"op", "conform-probe"}, {"id", id}}.dump());
  // One invalid notification in the middle, answered in its turn.
  auto bad_notify = edited_notify(c, [](json& r) {
    r["id"] = 14;
    r["msg"] = "not-a-message-id";
  });
  octets += raw_frame(bad_notify.dump());
  octets += raw_frame(json{{"op", "conform-probe"}, {"id", 15}}.dump());
  if (!co_await peer->write_raw(octets))
    co_return fail("write failed");
  for (int id : {11, 12, 13, 14, 15}) {
    auto r = co_await peer->read(30s);
    if (!r.is_frame())
      co_return fail("response to id " + std::to_string(id) + ": " + r.describe());
    if (r.object.value("re", json()) != id)
      co_return fail("expected re " + std::to_string(id) + ", got " +
                     r.object.value("re", json()).dump());
  }
  co_return pass("five pipelined requests answered in order");
}

asio::awaitable<outcome> request_auth_on_peer_listener(suite_context& c) {
  json auth = {{"op", "auth"}, {"id", 2}, {"user", c.t.ims.user}, {"password", "x"}};
  co_return co_await notify_refused(c, auth, "bad-request");
}

// ---- notify: whole refusals -----------------------------------------------------------------

asio::awaitable<outcome> notify_bad_msg(suite_context& c) {
  auto request = edited_notify(c, [](json& r) { r["msg"] = "abc"; });
  co_return co_await notify_refused(c, request, "bad-request");
}

asio::awaitable<outcome> notify_bad_msg_last_char(suite_context& c) {
  // 26 base32 characters whose last one carries non-zero low bits ([V-1]).
  auto request = edited_notify(c, [](json& r) { r["msg"] = std::string(25, 'a') + "b"; });
  co_return co_await notify_refused(c, request, "bad-request");
}

asio::awaitable<outcome> notify_bad_token(suite_context& c) {
  auto request = edited_notify(c, [](json& r) { r["token"] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"; });
  co_return co_await notify_refused(c, request, "bad-request");
}

asio::awaitable<outcome> notify_bad_digest(suite_context& c) {
  auto request = edited_notify(c, [](json& r) { r["digest"] = "md5:0123"; });
  co_return co_await notify_refused(c, request, "bad-request");
}

asio::awaitable<outcome> notify_address_literal(suite_context& c) {
  auto request = edited_notify(c, [](json& r) { r["from"] = "conform@[127.0.0.1]"; });
  co_return co_await notify_refused(c, request, "bad-address");
}

asio::awaitable<outcome> notify_bad_rcpt(suite_context& c) {
  auto request = edited_notify(c, [](json& r) { r["rcpt"] = json::array({"no-at-sign"}); });
  co_return co_await notify_refused(c, request, "bad-address");
}

asio::awaitable<outcome> notify_missing_field(suite_context& c) {
  auto request = edited_notify(c, [](json& r) { r.erase("digest"); });
  co_return co_await notify_refused(c, request, "bad-request");
}

asio::awaitable<outcome> notify_wrong_type(suite_context& c) {
  auto request = edited_notify(c, [](json& r) { r["size"] = "10"; });
  co_return co_await notify_refused(c, request, "bad-request");
}

asio::awaitable<outcome> notify_duplicate_rcpt(suite_context& c) {
  auto user = c.t.ims.user;
  auto upper = user;
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  co_return co_await notify_refused(c,
                                    edited_notify(c,
                                                  [&](json& r) {
                                                    r["rcpt"] = json::array({user, upper});
                                                  }),
                                    "bad-request");
}

asio::awaitable<outcome> notify_cross_domain(suite_context& c) {
  auto other = "someone@" + c.t.oms.domain;
  co_return co_await notify_refused(c,
                                    edited_notify(c,
                                                  [&](json& r) {
                                                    r["rcpt"] = json::array({c.t.ims.user, other});
                                                  }),
                                    "bad-request");
}

asio::awaitable<outcome> notify_too_many(suite_context& c) {
  auto rcpt = json::array();
  for (int i = 0; i < 101; ++i)
    rcpt.push_back("conform" + std::to_string(i) + "@" + c.t.ims.domain);
  auto request = edited_notify(c, [&](json& r) { r["rcpt"] = rcpt; });
  co_return co_await notify_refused(c, request, "bad-request");
}

asio::awaitable<outcome> notify_expired(suite_context& c) {
  co_return co_await notify_refused(
      c,
      edited_notify(
          c, [](json& r) { r["expires"] = static_cast<std::int64_t>(std::time(nullptr)) - 60; }),
      "expired");
}

asio::awaitable<outcome> notify_too_large(suite_context& c) {
  if (!c.ims_max_message_size) {
    std::string why;
    if (!co_await c.notify_connection(why))
      co_return fail(why);
  }
  auto limit = c.ims_max_message_size.value_or(0);
  auto request = edited_notify(c, [&](json& r) { r["size"] = limit + 1; });
  co_return co_await notify_refused(c, request, "message-too-large");
}

asio::awaitable<outcome> notify_spf_fail(suite_context& c) {
  auto from = "conform@" + c.t.foreign_domain;
  auto request = edited_notify(c, [&](json& r) { r["from"] = from; });
  co_return co_await notify_refused(c, request, "sender-not-designated");
}

asio::awaitable<outcome> notify_spf_temperror(suite_context& c) {
  if (c.t.temperror_domain.empty())
    co_return skip("no temperror domain configured (--temperror-domain, testbed --forward)");
  auto from = "conform@" + c.t.temperror_domain;
  auto request = edited_notify(c, [&](json& r) { r["from"] = from; });
  co_return co_await notify_refused(c, request, "dns-temporary");
}

// [R-9], [R-10]: on one kept connection, what depends on the notification is checked for each
// one: an SPF failure refuses that notification only, and the connection goes on serving.
asio::awaitable<outcome> reuse_per_notification_checks(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  const std::string forged_from = "conform@" + c.t.foreign_domain;
  auto first = edited_notify(c, [](json& r) { r["id"] = 21; });
  auto forged = edited_notify(c, [&](json& r) {
    r["id"] = 22;
    r["from"] = forged_from;
  });
  auto third = edited_notify(c, [](json& r) { r["id"] = 23; });
  auto a = co_await peer->request(first, 60s);
  if (!a.is_ok())
    co_return fail("first notification answered " + a.describe());
  auto b = co_await peer->request(forged, 60s);
  if (auto bad = not_error(b, "sender-not-designated", 22); !bad.empty())
    co_return fail("a notification from an undesignated sender on a kept connection: " + bad);
  auto d = co_await peer->request(third, 60s);
  if (!d.is_ok())
    co_return fail("after the refusal, the next notification answered " + d.describe());
  co_return pass("accepted, refused (SPF per notification), accepted: one connection");
}

// ---- notify: results, pull, ack -------------------------------------------------------------

// Why `results` is not one entry per rcpt in order with the expected statuses/codes.
std::string bad_results(const reply& r, const std::vector<std::string>& rcpt,
                        const std::vector<std::pair<std::string, std::string>>& expected) {
  if (!r.is_ok())
    return "notify answered " + r.describe();
  auto results = r.object.value("results", json());
  if (!results.is_array() || results.size() != rcpt.size())
    return "results is not one entry per rcpt: " + results.dump();
  for (std::size_t i = 0; i < rcpt.size(); ++i) {
    const auto& e = results[i];
    if (e.value("rcpt", "") != rcpt[i])
      return "result " + std::to_string(i) + " is for " + e.value("rcpt", "?") + ", not " + rcpt[i];
    if (e.value("status", "") != expected[i].first)
      return rcpt[i] + ": status " + e.value("status", "?") + ", expected " + expected[i].first;
    bool has_code = e.contains("code");
    if (expected[i].first == "accepted" && has_code)
      return rcpt[i] + ": accepted with a code";
    if (expected[i].first != "accepted" && e.value("code", "") != expected[i].second)
      return rcpt[i] + ": code " + e.value("code", "?") + ", expected " + expected[i].second;
  }
  return {};
}

asio::awaitable<outcome> notify_accepted_pulled_acked(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  auto [msg, m] = c.new_message();
  std::vector<std::string> rcpt = {c.t.ims.user};
  auto r = co_await peer->request(c.notify_request(1, msg, c.suite_sender(), rcpt, m), 60s);
  if (auto bad = bad_results(r, rcpt, {{"accepted", ""}}); !bad.empty())
    co_return fail(bad);
  const std::string id = msg;
  auto* oms = &c.oms;
  std::function<bool()> pulled = [&] { return oms->find(id)->pulls > 0; };
  if (!co_await eventually(pulled, 60s))
    co_return fail("accepted, but no pull reached " + c.t.suite_oms_host() + " within 60 s");
  std::function<bool()> acked = [&] { return !oms->find(id)->acks.empty(); };
  if (!co_await eventually(acked, 60s))
    co_return fail("pulled, but no ack within 60 s");
  const auto& ack = oms->find(id)->acks.front();
  auto stored = ack.value("stored", json::array());
  if (ack.value("rcpt_domain", "") != c.t.ims.domain || stored != json::array({c.t.ims.user}) ||
      !ack.value("refused", json::array()).empty())
    co_return fail("unexpected ack: " + ack.dump());
  co_return pass("accepted, pulled once from " + c.t.suite_oms_host() + ", acked as stored");
}

asio::awaitable<outcome> notify_idempotent(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  auto [msg, m] = c.new_message();
  auto nobody = unknown_user(c);
  std::vector<std::string> rcpt = {c.t.ims.user, nobody};
  std::vector<std::pair<std::string, std::string>> expected = {{"accepted", ""},
                                                               {"rejected", "unknown-recipient"}};
  auto request = c.notify_request(1, msg, c.suite_sender(), rcpt, m);
  auto first = co_await peer->request(request, 60s);
  if (auto bad = bad_results(first, rcpt, expected); !bad.empty())
    co_return fail("first notification: " + bad);
  const std::string id = msg;
  auto* oms = &c.oms;
  std::function<bool()> acked = [&] { return !oms->find(id)->acks.empty(); };
  if (!co_await eventually(acked, 60s))
    co_return fail("no pull and ack within 60 s after the first notification");
  // The same notification again, on a new connection (as after a lost response, [N-13]).
  auto again = co_await c.notify_connection(why);
  if (!again)
    co_return fail(why);
  request["id"] = 1;
  auto second = co_await again->request(request, 60s);
  if (auto bad = bad_results(second, rcpt, expected); !bad.empty())
    co_return fail("repeated notification: " + bad);
  co_await pause(3s);
  auto pulls = oms->find(id)->pulls;
  if (pulls != 1)
    co_return fail("the message was pulled " + std::to_string(pulls) + " times, expected once");
  co_return pass("same results twice, one pull");
}

asio::awaitable<outcome> notify_per_recipient(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  auto [msg, m] = c.new_message();
  std::vector<std::string> rcpt = {unknown_user(c), c.t.ims.user};
  auto r = co_await peer->request(c.notify_request(4, msg, c.suite_sender(), rcpt, m), 60s);
  if (r.is_frame() && r.object.value("re", json()) != 4)
    co_return fail("response re is not the request id");
  if (auto bad = bad_results(r, rcpt, {{"rejected", "unknown-recipient"}, {"accepted", ""}});
      !bad.empty())
    co_return fail(bad);
  co_return pass("unknown user rejected with unknown-recipient, known user accepted, in order");
}

asio::awaitable<outcome> notify_domain_not_local(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  auto [msg, m] = c.new_message();
  std::vector<std::string> rcpt = {"conform@" + c.t.suite_domain};
  auto r = co_await peer->request(c.notify_request(1, msg, c.suite_sender(), rcpt, m), 60s);
  if (auto bad = bad_results(r, rcpt, {{"rejected", "domain-not-local"}}); !bad.empty())
    co_return fail(bad);
  co_return pass("rejected with domain-not-local");
}

asio::awaitable<outcome> notify_stamp_ignored(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  auto [msg, m] = c.new_message();
  std::vector<std::string> rcpt = {unknown_user(c)};
  auto request = c.notify_request(1, msg, c.suite_sender(), rcpt, m);
  request["stamp"] = "conform opaque stamp";
  auto r = co_await peer->request(request, 60s);
  if (auto bad = bad_results(r, rcpt, {{"rejected", "unknown-recipient"}}); !bad.empty())
    co_return fail(bad);
  co_return pass("a notification with a stamp is judged as without");
}

// A notification whose pull must end in a refusal ack with `code` for the IMS user.
asio::awaitable<outcome> refused_at_pull(suite_context& c, std::string from_header,
                                         bool wrong_digest, std::string code) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  std::string digest;
  if (wrong_digest)
    digest = "sha256:" + std::string(64, '0');
  auto [msg, m] = c.new_message(from_header, digest);
  std::vector<std::string> rcpt = {c.t.ims.user};
  auto r = co_await peer->request(c.notify_request(1, msg, c.suite_sender(), rcpt, m), 60s);
  if (auto bad = bad_results(r, rcpt, {{"accepted", ""}}); !bad.empty())
    co_return fail(bad);
  const std::string id = msg;
  auto* oms = &c.oms;
  std::function<bool()> acked = [&] { return !oms->find(id)->acks.empty(); };
  if (!co_await eventually(acked, 60s))
    co_return fail("no ack within 60 s (pulls: " + std::to_string(oms->find(id)->pulls) + ")");
  const auto& ack = oms->find(id)->acks.front();
  auto refused = ack.value("refused", json::array());
  if (!ack.value("stored", json::array()).empty() || refused.size() != 1 ||
      refused[0].value("rcpt", "") != c.t.ims.user || refused[0].value("code", "") != code)
    co_return fail("expected an ack refusing " + c.t.ims.user + " with " + code + ", got " +
                   ack.dump());
  co_return pass("pulled, stored nothing, acked as refused with " + code);
}

asio::awaitable<outcome> pull_not_found_dropped(suite_context& c) {
  std::string why;
  auto peer = co_await c.notify_connection(why);
  if (!peer)
    co_return fail(why);
  auto [msg, m] = c.new_message();
  // The fake OMS knows another token, so it answers the pull not-found.
  auto notified = m;
  notified.token = proto::new_token();
  std::vector<std::string> rcpt = {c.t.ims.user};
  auto r = co_await peer->request(c.notify_request(1, msg, c.suite_sender(), rcpt, notified), 60s);
  if (auto bad = bad_results(r, rcpt, {{"accepted", ""}}); !bad.empty())
    co_return fail(bad);
  const std::string id = msg;
  auto* oms = &c.oms;
  std::function<bool()> tried = [&] { return oms->find(id)->attempts > 0; };
  if (!co_await eventually(tried, 60s))
    co_return fail("accepted, but no pull within 60 s");
  co_await pause(5s);
  const auto* served = oms->find(id);
  if (!served->acks.empty())
    co_return fail("an ack after a not-found pull: " + served->acks.front().dump());
  if (served->attempts != 1)
    co_return fail("the pull was tried " + std::to_string(served->attempts) +
                   " times; not-found is final");
  co_return pass("not-found at pull: dropped, no ack, no retry");
}

asio::awaitable<outcome> pull_digest_mismatch(suite_context& c) {
  const std::string from;  // the suite sender
  co_return co_await refused_at_pull(c, from, true, "digest-mismatch");
}

asio::awaitable<outcome> pull_from_not_aligned(suite_context& c) {
  co_return co_await refused_at_pull(c, "conform@" + c.t.foreign_domain, false, "sender-not-owned");
}

}  // namespace

std::vector<test_case> ims_cases() {
  return {
      {"ims.hello.version-1",
       {"H-1", "H-3", "H-8", "H-9", "C-2", "C-10", "T-4", "T-6", "R-2"},
       hello_version_1},
      {"ims.hello.version-2", {"H-3"}, hello_version_2},
      {"ims.hello.version-0", {"H-2", "V-6"}, hello_version_0},
      {"ims.hello.missing-host", {"H-4", "H-11"}, hello_missing_host},
      {"ims.hello.id-not-zero", {"H-2", "H-11"}, hello_id_not_zero},
      {"ims.hello.request-before-hello", {"H-1", "H-2"}, hello_not_first},
      {"ims.hello.cert-name-mismatch", {"H-5", "C-10", "N-1", "X-2"}, hello_cert_name_mismatch},
      {"ims.hello.source-address-not-host", {"N-3", "H-6", "N-2", "X-3"}, hello_source_address},
      {"ims.hello.second-hello", {"H-10"}, hello_second},
      {"ims.hello.unknown-members", {"F-8", "H-4"}, hello_unknown_member},
      {"ims.hello.wildcard-certificate", {"C-6"}, hello_wildcard},
      {"ims.hello.wildcard-one-label", {"C-6"}, hello_tld_wildcard},
      {"ims.hello.bad-host-syntax", {"V-5", "H-2"}, hello_bad_host_syntax},
      {"ims.tls.no-client-certificate", {"C-1", "C-9"}, tls_no_certificate},
      {"ims.tls.unknown-ca", {"C-3", "C-4", "X-16"}, tls_unknown_ca},
      {"ims.tls.self-signed", {"C-4"}, tls_self_signed},
      {"ims.tls.expired", {"C-5"}, tls_expired},
      {"ims.tls.not-yet-valid", {"C-5"}, tls_not_yet_valid},
      {"ims.tls.wrong-usage", {"C-7"}, tls_wrong_usage},
      {"ims.tls.revoked", {"C-8"}, tls_revoked},
      {"ims.tls.wrong-alpn", {"T-5"}, tls_wrong_alpn},
      {"ims.tls.no-alpn", {"T-5"}, tls_no_alpn},
      {"ims.tls.tls-1.2", {"T-1", "T-2"}, tls_version_12},
      {"ims.frame.zero-length", {"F-1", "F-2", "F-10"}, frame_zero_length},
      {"ims.frame.over-65536", {"F-2", "F-10", "X-18"}, frame_too_long},
      {"ims.frame.invalid-utf8", {"F-3"}, frame_invalid_utf8},
      {"ims.frame.overlong-utf8", {"F-3"}, frame_overlong_utf8},
      {"ims.frame.utf8-surrogate", {"F-3"}, frame_surrogate},
      {"ims.frame.invalid-json", {"F-4"}, frame_not_json},
      {"ims.frame.not-an-object", {"F-4"}, frame_not_object},
      {"ims.frame.trailing-octets", {"F-4"}, frame_trailing},
      {"ims.frame.duplicate-member", {"F-9"}, frame_duplicate_member},
      {"ims.frame.nesting-over-16", {"F-12"}, frame_too_deep},
      {"ims.frame.truncated", {"F-7"}, frame_truncated},
      {"ims.request.unknown-op", {"R-1", "R-2", "R-4", "E-1", "E-3"}, request_unknown_op},
      {"ims.request.pull-on-notify-listener", {"R-5"}, request_wrong_listener},
      {"ims.request.auth-on-peer-listener", {"U-6", "R-5"}, request_auth_on_peer_listener},
      {"ims.request.pipelining", {"R-3"}, request_pipelining},
      {"ims.reuse.per-notification-checks",
       {"R-9", "R-10", "R-12", "N-2"},
       reuse_per_notification_checks},
      {"ims.notify.bad-message-id", {"V-1", "N-1"}, notify_bad_msg},
      {"ims.notify.message-id-low-bits", {"V-1"}, notify_bad_msg_last_char},
      {"ims.notify.bad-token", {"V-2"}, notify_bad_token},
      {"ims.notify.bad-digest", {"V-3"}, notify_bad_digest},
      {"ims.notify.address-literal", {"V-4", "D-5"}, notify_address_literal},
      {"ims.notify.malformed-rcpt", {"V-4"}, notify_bad_rcpt},
      {"ims.notify.missing-field", {"V-9"}, notify_missing_field},
      {"ims.notify.wrong-type", {"V-9"}, notify_wrong_type},
      {"ims.notify.duplicate-rcpt", {"V-8"}, notify_duplicate_rcpt},
      {"ims.notify.rcpt-in-two-domains", {"N-8"}, notify_cross_domain},
      {"ims.notify.over-100-rcpt", {"N-9"}, notify_too_many},
      {"ims.notify.expired", {"N-10"}, notify_expired},
      {"ims.notify.size-over-limit", {"N-11", "H-9", "X-5"}, notify_too_large},
      {"ims.notify.spf-fail", {"N-4", "D-6", "D-7", "D-8", "X-1", "X-22"}, notify_spf_fail},
      {"ims.notify.spf-temperror", {"D-7", "N-4", "E-2"}, notify_spf_temperror},
      {"ims.notify.accepted-pulled-acked",
       {"N-2", "N-5", "N-6", "N-7", "N-16", "P-1", "P-2", "P-3", "P-4", "P-5", "A-1", "D-6"},
       notify_accepted_pulled_acked},
      {"ims.notify.per-recipient-results", {"N-1", "N-6", "X-4"}, notify_per_recipient},
      {"ims.notify.domain-not-local", {"N-1"}, notify_domain_not_local},
      {"ims.notify.stamp-ignored", {"N-14", "X-11"}, notify_stamp_ignored},
      {"ims.notify.idempotent", {"N-12", "N-13", "X-15", "A-6"}, notify_idempotent},
      {"ims.pull.not-found-dropped", {"P-14"}, pull_not_found_dropped},
      {"ims.pull.digest-mismatch", {"P-10", "X-6", "A-2"}, pull_digest_mismatch},
      {"ims.pull.from-not-sender-domain", {"P-11", "X-17"}, pull_from_not_aligned},
  };
}

}  // namespace im2k::conform
