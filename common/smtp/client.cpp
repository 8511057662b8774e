#include "common/smtp/client.hpp"

#include <array>
#include <charconv>
#include <utility>

#include <boost/asio/error.hpp>

#include "common/smtp/data_reader.hpp"
#include "common/smtp/sasl.hpp"

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::smtp {

namespace {

using boost::asio::awaitable;

boost::system::error_code protocol_error() {
  return make_error_code(boost::system::errc::protocol_error);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

}  // namespace

extensions parse_extensions(const reply& ehlo) {
  extensions e;
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
    const std::string line = upper(ehlo.lines[i]);
    const auto space = line.find(' ');
    const std::string keyword = line.substr(0, space);
    const std::string rest = space == std::string::npos ? std::string() : line.substr(space + 1);
    if (keyword == "PIPELINING") {
      e.pipelining = true;
    } else if (keyword == "STARTTLS") {
      e.starttls = true;
    } else if (keyword == "8BITMIME") {
      e.eight_bit_mime = true;
    } else if (keyword == "ENHANCEDSTATUSCODES") {
      e.enhanced_status_codes = true;
    } else if (keyword == "SIZE") {
      std::uint64_t n = 0;
      const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
      e.size = ec == std::errc() ? n : 0;
    } else if (keyword == "AUTH") {
      std::size_t at = 0;
      while (at < rest.size()) {
        const auto next = rest.find(' ', at);
        const std::string m = rest.substr(at, next == std::string::npos ? next : next - at);
        if (!m.empty()) {
          e.auth.push_back(m);
        }
        if (next == std::string::npos) {
          break;
        }
        at = next + 1;
      }
    }
  }
  return e;
}

client::client(tls::tls_stream stream, client_options options)
    : conn_(std::move(stream), false), options_(options) {}

awaitable<boost::system::result<reply>> client::read_reply(clock::duration timeout) {
  const auto deadline = clock::now() + timeout;
  reply_parser parser;
  while (true) {
    auto line = co_await conn_.read_line(deadline);
    if (!line) {
      co_return line.error();
    }
    if (line->what != line_result::kind::line) {
      co_return protocol_error();
    }
    auto fed = parser.feed(line->text);
    if (!fed) {
      co_return protocol_error();
    }
    if (*fed) {
      co_return std::move(**fed);
    }
  }
}

awaitable<boost::system::error_code> client::write(std::string text) {
  co_return co_await conn_.write(std::move(text), clock::now() + options_.write_timeout);
}

awaitable<boost::system::result<reply>> client::greeting() {
  co_return co_await read_reply(options_.reply_timeout);
}

awaitable<boost::system::result<reply>> client::command(std::string line) {
  if (auto error = co_await write(std::move(line) + "\r\n")) {
    co_return error;
  }
  co_return co_await read_reply(options_.reply_timeout);
}

awaitable<boost::system::result<reply>> client::ehlo(std::string name) {
  auto r = co_await command("EHLO " + name);
  if (r && r->code == 250) {
    extensions_ = parse_extensions(*r);
  }
  co_return r;
}

awaitable<boost::system::result<reply>> client::starttls() {
  auto r = co_await command("STARTTLS");
  if (!r || r->code != 220) {
    co_return r;
  }
  if (auto error = co_await conn_.start_tls(boost::asio::ssl::stream_base::client,
                                            options_.handshake_timeout)) {
    co_return error;
  }
  extensions_ = {};
  co_return r;
}

awaitable<boost::system::result<reply>> client::auth_plain(std::string_view user,
                                                           std::string_view password) {
  co_return co_await command("AUTH PLAIN " + encode_plain(user, password));
}

awaitable<boost::system::result<reply>> client::quit() {
  auto r = co_await command("QUIT");
  co_await conn_.close(std::chrono::seconds(2));
  co_return r;
}

awaitable<boost::system::error_code> client::write_message(net::body_source& body) {
  dot_stuffer stuffer;
  std::array<char, read_chunk> buffer{};
  std::string out;
  while (true) {
    auto n = co_await body(std::span<char>(buffer.data(), buffer.size()));
    if (!n) {
      co_return n.error();
    }
    out.clear();
    if (*n == 0) {
      stuffer.finish(out);
      co_return co_await write(std::move(out));
    }
    stuffer.feed(std::string_view(buffer.data(), *n), out);
    if (auto error = co_await write(std::move(out))) {
      co_return error;
    }
  }
}

awaitable<boost::system::result<transaction>> client::send(std::string from,
                                                           std::vector<std::string> rcpt,
                                                           std::uint64_t size_hint,
                                                           net::body_source body) {
  std::string mail = "MAIL FROM:<" + from + ">";
  if (extensions_.size) {
    mail += " SIZE=" + std::to_string(size_hint);
  }
  if (extensions_.eight_bit_mime) {
    mail += " BODY=8BITMIME";
  }
  std::vector<std::string> lines;
  lines.push_back(mail + "\r\n");
  for (const auto& r : rcpt) {
    lines.push_back("RCPT TO:<" + r + ">\r\n");
  }
  lines.emplace_back("DATA\r\n");
  transaction t;
  const bool pipelined = extensions_.pipelining;
  // Without PIPELINING every command waits for its reply, and the transaction stops at the
  // first refusal that makes the rest pointless.
  if (pipelined) {
    std::string group;
    for (const auto& l : lines) {
      group += l;
    }
    if (auto error = co_await write(std::move(group))) {
      co_return error;
    }
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!pipelined) {
      if (auto error = co_await write(lines[i])) {
        co_return error;
      }
    }
    auto r = co_await read_reply(options_.reply_timeout);
    if (!r) {
      co_return r.error();
    }
    if (i == 0) {
      t.mail = *r;
      if (!pipelined && !r->positive()) {
        co_return t;
      }
    } else if (i + 1 < lines.size()) {
      t.rcpt.push_back(*r);
    } else {
      t.data = *r;
    }
    if (!pipelined && i + 2 == lines.size()) {
      bool any = false;
      for (const auto& x : t.rcpt) {
        any = any || x.positive();
      }
      if (!any) {
        co_return t;  // no DATA without a recipient
      }
    }
  }
  if (!t.data || t.data->code != 354) {
    co_return t;
  }
  bool any = false;
  for (const auto& x : t.rcpt) {
    any = any || x.positive();
  }
  if (!any) {
    // RFC 2920 section 3.1: a 354 with no accepted recipient; end it without a message.
    std::string empty;
    dot_stuffer().finish(empty);
    if (auto error = co_await write(std::move(empty))) {
      co_return error;
    }
    auto r = co_await read_reply(options_.data_end_timeout);
    if (!r) {
      co_return r.error();
    }
    co_return t;
  }
  if (auto error = co_await write_message(body)) {
    co_return error;
  }
  auto r = co_await read_reply(options_.data_end_timeout);
  if (!r) {
    co_return r.error();
  }
  t.message = *r;
  co_return t;
}

}  // namespace im2k::smtp
