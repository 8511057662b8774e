#include "common/smtp/server_session.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "common/smtp/error_reply.hpp"
#include "common/smtp/sasl.hpp"
#include "common/tls/handshake.hpp"
#include "common/tls/host_check.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::smtp {

namespace {

using boost::asio::awaitable;

reply make(int code, const char* enhanced, std::string text) {
  return reply{code, enhanced, {std::move(text)}};
}

// The session's own replies, one per condition ([W-10] in proto/SPEC.md).
reply ok() {
  return make(250, "2.0.0", "Ok");
}
reply line_too_long() {
  return make(500, "5.5.2", "line too long (at most 1000 octets with CRLF)");
}
reply bare_lf() {
  return make(500, "5.5.2", "a command line must end in CRLF");
}
reply auth_line_too_long() {
  return make(500, "5.5.6", "authentication exchange line is too long");
}
reply unknown_command() {
  return make(500, "5.5.1", "unknown command");
}
reply bad_syntax() {
  return make(501, "5.5.4", "syntax error in the command's arguments");
}
reply bad_parameter() {
  return make(555, "5.5.4", "parameter not recognized or malformed");
}
reply bad_sequence(std::string why) {
  return make(503, "5.5.1", std::move(why));
}
reply not_offered(std::string what) {
  return make(502, "5.5.1", std::move(what) + " is not offered");
}
reply tls_first() {
  return make(530, "5.7.0", "Must issue a STARTTLS command first");
}
reply auth_required() {
  return make(530, "5.7.0", "Authentication required");
}
reply auth_needs_tls() {
  return make(538, "5.7.11", "Encryption required for requested authentication mechanism");
}
reply unknown_mechanism() {
  return make(504, "5.5.4", "unrecognized authentication mechanism");
}
reply bad_base64() {
  return make(501, "5.5.2", "cannot decode the response (base64)");
}
reply auth_cancelled() {
  return make(501, "5.7.0", "authentication cancelled");
}
reply too_many_recipients() {
  return make(452, "4.5.3", "too many recipients");
}
reply no_recipients() {
  return make(554, "5.5.1", "no valid recipients");
}

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& item : list) {
    out += (out.empty() ? "" : " ") + item;
  }
  return out;
}

}  // namespace

std::string_view to_string(session_end e) {
  switch (e) {
    case session_end::quit:
      return "quit";
    case session_end::client_closed:
      return "client-closed";
    case session_end::timeout:
      return "timeout";
    case session_end::too_many_commands:
      return "too-many-commands";
    case session_end::too_many_errors:
      return "too-many-errors";
    case session_end::auth_failures:
      return "auth-failures";
    case session_end::lifetime:
      return "lifetime";
    case session_end::stopped:
      return "stopped";
    case session_end::tls_failed:
      return "tls-failed";
    case session_end::io_error:
      return "io-error";
  }
  return "unknown";
}

// The DATA of one transaction, read at most once.
class server_session::source : public data_source {
 public:
  source(connection& conn, const server_options& options, clock::time_point lifetime_end)
      : conn_(conn), options_(options) {
    const auto rate = std::max<std::uint64_t>(options.min_data_rate, 1);
    const auto whole =
        options.data_base + std::chrono::seconds(options.max_message_size / rate + 1);
    deadline_ = std::min(clock::now() + whole, lifetime_end);
  }

  awaitable<boost::system::result<data_result>> read(net::body_sink sink) override {
    if (used_) {
      co_return boost::system::error_code(boost::asio::error::already_started);
    }
    used_ = true;
    auto r = co_await conn_.read_data(std::move(sink), options_.max_message_size,
                                      options_.data_timeout, deadline_);
    if (!r) {
      failure_ = r.error();
    }
    co_return r;
  }

  bool used() const { return used_; }
  const boost::system::error_code& failure() const { return failure_; }

 private:
  connection& conn_;
  const server_options& options_;
  clock::time_point deadline_;
  bool used_ = false;
  boost::system::error_code failure_;
};

server_session::server_session(tls::tls_stream stream, server_options options,
                               server_handler& handler)
    : conn_(std::move(stream), false),
      options_(std::move(options)),
      handler_(handler),
      lifetime_end_(clock::now() + options_.lifetime) {
  boost::system::error_code ignored;
  info_.remote = conn_.stream().lowest_layer().remote_endpoint(ignored);
  info_.local = conn_.stream().lowest_layer().local_endpoint(ignored);
}

void server_session::stop() {
  boost::asio::post(conn_.stream().get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (self->waiting_) {
      self->conn_.interrupt();
    }
  });
}

void server_session::abort() {
  boost::asio::post(conn_.stream().get_executor(),
                    [self = shared_from_this()] { self->conn_.abort(); });
}

clock::time_point server_session::deadline_after(clock::duration d) const {
  return std::min(clock::now() + d, lifetime_end_);
}

void server_session::queue(const reply& r) {
  output_ += format(r);
}

void server_session::refuse(const reply& r) {
  ++errors_;
  queue(r);
}

awaitable<boost::system::error_code> server_session::flush() {
  if (output_.empty()) {
    co_return boost::system::error_code();
  }
  std::string text = std::move(output_);
  output_.clear();
  co_return co_await conn_.write(std::move(text), clock::now() + options_.write_timeout);
}

void server_session::end_transaction() {
  if (in_transaction_) {
    handler_.reset();
  }
  in_transaction_ = false;
  recipients_ = 0;
}

awaitable<session_end> server_session::close_with(session_end why, reply r) {
  queue(r);
  co_await flush();
  end_transaction();
  co_await conn_.close(options_.shutdown_timeout);
  co_return why;
}

awaitable<bool> server_session::handshake() {
  conn_.drop_pending_input();  // RFC 3207 section 4.2: nothing sent in clear counts
  const tls::failure failed =
      co_await tls::server_handshake(conn_.stream(), options_.tls_kind, options_.handshake_timeout);
  if (failed != tls::failure::none) {
    conn_.abort();
    co_return false;
  }
  conn_.set_secure();
  SSL* ssl = conn_.stream().native_handle();
  info_.secure = true;
  info_.tls_version = SSL_get_version(ssl);
  info_.email_names = tls::peer_email_names(ssl);
  co_return true;
}

awaitable<session_end> server_session::run() {
  auto self = shared_from_this();  // alive until the session is over
  if (options_.implicit_tls) {
    const bool secured = co_await handshake();
    if (!secured) {
      co_return session_end::tls_failed;
    }
  }
  queue(reply{220, {}, {options_.host + " ESMTP im2k"}});
  while (true) {
    if (!conn_.has_pending_input()) {
      const auto flushed = co_await flush();
      if (flushed) {
        conn_.abort();
        end_transaction();
        co_return session_end::io_error;
      }
    }
    if (stopping_) {
      co_return co_await close_with(session_end::stopped,
                                    make(421, "4.3.2", "shutting down, try again later"));
    }
    if (clock::now() >= lifetime_end_) {
      co_return co_await close_with(session_end::lifetime,
                                    make(421, "4.4.2", "connection lifetime reached"));
    }
    waiting_ = true;
    auto line = co_await conn_.read_line(deadline_after(options_.command_timeout));
    waiting_ = false;
    if (!line) {
      const auto& e = line.error();
      if (e == boost::asio::error::operation_aborted) {
        co_return co_await close_with(session_end::stopped,
                                      make(421, "4.3.2", "shutting down, try again later"));
      }
      if (e == boost::asio::error::timed_out) {
        const bool lifetime = clock::now() >= lifetime_end_;
        co_return co_await close_with(
            lifetime ? session_end::lifetime : session_end::timeout,
            make(421, "4.4.2", lifetime ? "connection lifetime reached" : "timeout, closing"));
      }
      conn_.abort();
      end_transaction();
      co_return e == boost::asio::error::eof ? session_end::client_closed : session_end::io_error;
    }
    if (++commands_ > options_.max_commands) {
      co_return co_await close_with(session_end::too_many_commands,
                                    make(421, "4.7.0", "too many commands, closing"));
    }
    switch (line->what) {
      case line_result::kind::too_long:
        refuse(line_too_long());
        break;
      case line_result::kind::bare_lf:
        refuse(bare_lf());
        break;
      case line_result::kind::need_more:
        break;
      case line_result::kind::line: {
        auto c = parse_command(line->text);
        // Only AUTH may be longer (RFC 4954 section 4); a long line that does not parse is
        // too long, not unknown.
        const bool is_auth = c && c->what == verb::auth;
        if (!is_auth && line->text.size() + 2 > max_command_line) {
          refuse(line_too_long());
          break;
        }
        if (!c) {
          switch (c.error()) {
            case command_fault::unknown:
              refuse(unknown_command());
              break;
            case command_fault::syntax:
            case command_fault::bad_path:
              refuse(bad_syntax());
              break;
            case command_fault::bad_parameter:
              refuse(bad_parameter());
              break;
          }
          break;
        }
        const auto end = co_await serve(*c);
        if (end) {
          co_return *end;
        }
        break;
      }
    }
    if (errors_ > options_.max_errors) {
      co_return co_await close_with(session_end::too_many_errors,
                                    make(421, "4.7.0", "too many errors, closing"));
    }
  }
}

awaitable<std::optional<session_end>> server_session::serve(const command& c) {
  switch (c.what) {
    case verb::ehlo:
    case verb::helo:
      co_return co_await ehlo(c);
    case verb::starttls:
      co_return co_await starttls();
    case verb::auth:
      co_return co_await auth(c);
    case verb::mail:
      co_return co_await mail(c);
    case verb::rcpt:
      co_return co_await rcpt(c);
    case verb::data:
      co_return co_await data();
    case verb::rset:
      end_transaction();
      queue(ok());
      break;
    case verb::noop:
      queue(ok());
      break;
    case verb::quit:
      co_return co_await close_with(session_end::quit, make(221, "2.0.0", "Bye"));
    case verb::vrfy:
      queue(not_offered("VRFY"));  // no address probing
      break;
    case verb::expn:
      queue(not_offered("EXPN"));
      break;
    case verb::help:
      queue(make(214, "2.0.0", "im2k: see RFC 5321 and RFC 6409"));
      break;
  }
  co_return std::nullopt;
}

awaitable<std::optional<session_end>> server_session::ehlo(const command& c) {
  end_transaction();
  greeted_ = true;
  info_.helo = c.argument;
  if (c.what == verb::helo) {
    queue(reply{250, {}, {options_.host}});
    co_return std::nullopt;
  }
  reply r{250, {}, {options_.host}};
  r.lines.emplace_back("PIPELINING");
  r.lines.emplace_back("8BITMIME");
  r.lines.push_back("SIZE " + std::to_string(options_.max_message_size));
  r.lines.emplace_back("ENHANCEDSTATUSCODES");
  if (!info_.secure && options_.offer_starttls) {
    r.lines.emplace_back("STARTTLS");
  }
  if (options_.offer_auth && (info_.secure || !options_.require_tls) && !info_.user) {
    const auto mechanisms = handler_.auth_mechanisms(info_);
    if (!mechanisms.empty()) {
      r.lines.push_back("AUTH " + join(mechanisms));
    }
  }
  queue(r);
  co_return std::nullopt;
}

awaitable<std::optional<session_end>> server_session::starttls() {
  if (info_.secure) {
    refuse(bad_sequence("TLS is already active"));
    co_return std::nullopt;
  }
  if (!options_.offer_starttls) {
    refuse(not_offered("STARTTLS"));
    co_return std::nullopt;
  }
  queue(make(220, "2.0.0", "Ready to start TLS"));
  const auto flushed = co_await flush();
  if (flushed) {
    conn_.abort();
    co_return session_end::io_error;
  }
  end_transaction();
  const bool secured = co_await handshake();
  if (!secured) {
    co_return session_end::tls_failed;
  }
  // RFC 3207 section 4.2: the client starts again with EHLO; nothing learnt before counts.
  greeted_ = false;
  info_.helo.clear();
  info_.user.reset();
  co_return std::nullopt;
}

awaitable<boost::system::result<std::string, reply>> server_session::exchange(
    std::string challenge) {
  queue(reply{334, {}, {std::move(challenge)}});
  const auto flushed = co_await flush();
  if (flushed) {
    co_return reply{};  // code 0: the connection is gone
  }
  auto line = co_await conn_.read_line(deadline_after(options_.command_timeout));
  if (!line) {
    co_return reply{};
  }
  if (line->what == line_result::kind::too_long) {
    co_return auth_line_too_long();
  }
  if (line->what != line_result::kind::line) {
    co_return bare_lf();
  }
  auto decoded = decode_response(line->text);
  if (!decoded) {
    reply refused = decoded.error() == sasl_fault::cancelled ? auth_cancelled() : bad_base64();
    co_return refused;
  }
  co_return std::move(*decoded);
}

awaitable<boost::system::result<std::string, reply>> server_session::first_response(
    const command& c, std::string challenge) {
  if (!c.initial_response) {
    co_return co_await exchange(std::move(challenge));
  }
  auto decoded = decode_response(*c.initial_response);
  if (!decoded) {
    reply refused = decoded.error() == sasl_fault::cancelled ? auth_cancelled() : bad_base64();
    co_return refused;
  }
  co_return std::move(*decoded);
}

awaitable<std::optional<session_end>> server_session::auth(const command& c) {
  if (!options_.offer_auth) {
    refuse(not_offered("AUTH"));
    co_return std::nullopt;
  }
  if (options_.require_tls && !info_.secure) {
    refuse(auth_needs_tls());
    co_return std::nullopt;
  }
  if (!greeted_) {
    refuse(bad_sequence("send EHLO first"));
    co_return std::nullopt;
  }
  if (info_.user) {
    refuse(bad_sequence("already authenticated"));
    co_return std::nullopt;
  }
  if (in_transaction_) {
    refuse(bad_sequence("AUTH is not allowed during a mail transaction"));
    co_return std::nullopt;
  }
  if (!has(handler_.auth_mechanisms(info_), c.argument)) {
    refuse(unknown_mechanism());
    co_return std::nullopt;
  }
  auth_attempt attempt;
  attempt.mechanism = c.argument;
  std::optional<reply> refused;
  if (c.argument == "PLAIN") {
    auto message = co_await first_response(c, "");
    if (!message) {
      refused = message.error();
    } else if (auto creds = parse_plain(*message)) {
      attempt.authzid = creds->authzid;
      attempt.user = creds->authcid;
      attempt.password = creds->password;
    } else {
      refused = make(501, "5.5.4", "malformed PLAIN message");
    }
  } else if (c.argument == "LOGIN") {
    auto user = co_await first_response(c, "VXNlcm5hbWU6");  // "Username:"
    if (!user) {
      refused = user.error();
    } else {
      attempt.user = *user;
      auto password = co_await exchange("UGFzc3dvcmQ6");  // "Password:"
      if (!password) {
        refused = password.error();
      } else {
        attempt.password = *password;
      }
    }
  } else {  // EXTERNAL
    auto authzid = co_await first_response(c, "");
    if (!authzid) {
      refused = authzid.error();
    } else {
      attempt.authzid = *authzid;
    }
  }
  if (refused) {
    if (refused->code == 0) {  // the connection failed inside the exchange
      conn_.abort();
      co_return session_end::io_error;
    }
    refuse(*refused);
    co_return std::nullopt;
  }
  auto outcome = co_await handler_.authenticate(info_, std::move(attempt));
  queue(outcome.answer);
  if (outcome.user) {
    info_.user = outcome.user;
  }
  if (outcome.failed && ++auth_failures_ >= options_.max_auth_failures) {
    // [U-4]: the answer goes out, then the connection closes.
    co_await flush();
    co_await conn_.close(options_.shutdown_timeout);
    co_return session_end::auth_failures;
  }
  co_return std::nullopt;
}

awaitable<std::optional<session_end>> server_session::mail(const command& c) {
  if (!greeted_) {
    refuse(bad_sequence("send EHLO first"));
    co_return std::nullopt;
  }
  if (options_.require_tls && !info_.secure) {
    refuse(tls_first());
    co_return std::nullopt;
  }
  if (options_.require_auth && !info_.user) {
    refuse(auth_required());
    co_return std::nullopt;
  }
  if (in_transaction_) {
    refuse(bad_sequence("a mail transaction is already open (RSET first)"));
    co_return std::nullopt;
  }
  for (const auto& [name, value] : c.parameters) {
    const bool known =
        name == "SIZE" || name == "AUTH" || (name == "BODY" && c.body != body_type::binary_mime);
    if (!known) {
      refuse(bad_parameter());
      co_return std::nullopt;
    }
  }
  if (c.size && *c.size > options_.max_message_size) {
    queue(reply_for(proto::errc::message_too_large, "message size exceeds the maximum of " +
                                                        std::to_string(options_.max_message_size) +
                                                        " octets"));
    co_return std::nullopt;
  }
  reply r = co_await handler_.mail(info_, c);
  queue(r);
  if (r.positive()) {
    in_transaction_ = true;
    recipients_ = 0;
  }
  co_return std::nullopt;
}

awaitable<std::optional<session_end>> server_session::rcpt(const command& c) {
  if (!in_transaction_) {
    refuse(bad_sequence("need MAIL before RCPT"));
    co_return std::nullopt;
  }
  if (!c.parameters.empty()) {
    refuse(bad_parameter());
    co_return std::nullopt;
  }
  if (recipients_ >= options_.max_recipients) {
    queue(too_many_recipients());
    co_return std::nullopt;
  }
  reply r = co_await handler_.rcpt(info_, c);
  queue(r);
  if (r.positive()) {
    ++recipients_;
  }
  co_return std::nullopt;
}

awaitable<std::optional<session_end>> server_session::data() {
  if (!in_transaction_) {
    refuse(bad_sequence("need MAIL before DATA"));
    co_return std::nullopt;
  }
  if (recipients_ == 0) {
    queue(no_recipients());
    co_return std::nullopt;
  }
  queue(reply{354, {}, {"End data with <CR><LF>.<CR><LF>"}});
  const auto flushed = co_await flush();
  if (flushed) {
    conn_.abort();
    end_transaction();
    co_return session_end::io_error;
  }
  source s(conn_, options_, lifetime_end_);
  reply r = co_await handler_.data(info_, s);
  if (!s.used()) {  // the handler did not read it: the stream must still pass the end
    net::body_sink drop = [](std::span<const char>) -> awaitable<boost::system::error_code> {
      co_return boost::system::error_code();
    };
    co_await s.read(std::move(drop));
  }
  if (s.failure()) {
    // A deadline or a broken connection inside DATA: no reply can follow the message.
    const bool timed_out = s.failure() == boost::asio::error::timed_out;
    end_transaction();
    if (timed_out && !conn_.broken()) {
      co_return co_await close_with(session_end::timeout, make(421, "4.4.2", "timeout, closing"));
    }
    conn_.abort();
    co_return s.failure() == boost::asio::error::eof ? session_end::client_closed
                                                     : session_end::io_error;
  }
  queue(r);
  end_transaction();
  co_return std::nullopt;
}

}  // namespace im2k::smtp
