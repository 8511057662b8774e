#include "ims/lmtp_client.hpp"

#include <fstream>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace im2k::ims {
namespace {

using boost::asio::awaitable;
using boost::asio::local::stream_protocol;
using boost::system::error_code;

constexpr std::size_t max_line = 4096;        // RFC 5321 allows 512; Dovecot's are short
constexpr std::size_t max_reply_lines = 100;  // a multi-line reply (LHLO)
constexpr std::size_t chunk_size = 64 * 1024;

class session {
 public:
  session(boost::asio::any_io_executor executor, std::chrono::seconds timeout)
      : socket_(executor), timer_(executor), timeout_(timeout) {}

  awaitable<error_code> connect(const std::filesystem::path& path) {
    co_return co_await bounded(
        socket_.async_connect(stream_protocol::endpoint(path.string()),
                              boost::asio::as_tuple(boost::asio::use_awaitable)));
  }

  awaitable<error_code> write(std::string_view data) {
    auto [ec, n] = co_await bounded_n(boost::asio::async_write(
        socket_, boost::asio::buffer(data), boost::asio::as_tuple(boost::asio::use_awaitable)));
    co_return ec;
  }

  // One reply, multi-line or not; code 0 and `error` set when none came in time.
  awaitable<lmtp_reply> read_reply(error_code& error) {
    lmtp_reply reply;
    for (std::size_t lines = 0; lines < max_reply_lines; ++lines) {
      auto [ec, n] = co_await bounded_n(
          boost::asio::async_read_until(socket_, boost::asio::dynamic_buffer(buffer_, max_line),
                                        "\r\n", boost::asio::as_tuple(boost::asio::use_awaitable)));
      if (ec) {
        error = ec;
        co_return lmtp_reply{};
      }
      std::string line = buffer_.substr(0, n - 2);
      buffer_.erase(0, n);
      if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
          line[2] < '0' || line[2] > '9' || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
        error = boost::asio::error::invalid_argument;
        co_return lmtp_reply{};
      }
      const int code = std::stoi(line.substr(0, 3));
      if (lines > 0 && code != reply.code) {
        error = boost::asio::error::invalid_argument;
        co_return lmtp_reply{};
      }
      reply.code = code;
      reply.text = line.size() > 4 ? line.substr(4) : "";
      if (line.size() == 3 || line[3] == ' ') {
        co_return reply;
      }
    }
    error = boost::asio::error::message_size;
    co_return lmtp_reply{};
  }

  awaitable<lmtp_reply> command(std::string line, error_code& error) {
    line += "\r\n";
    if (auto ec = co_await write(line)) {
      error = ec;
      co_return lmtp_reply{};
    }
    co_return co_await read_reply(error);
  }

  void close() {
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  // The operation, or timed_out when the deadline comes first (the operation is cancelled).
  template <class Op>
  awaitable<error_code> bounded(Op op) {
    using namespace boost::asio::experimental::awaitable_operators;
    timer_.expires_after(timeout_);
    auto outcome = co_await (std::move(op) ||
                             timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
    if (outcome.index() == 0) {
      co_return std::get<0>(std::get<0>(outcome));
    }
    co_return boost::asio::error::timed_out;
  }
  template <class Op>
  awaitable<std::tuple<error_code, std::size_t>> bounded_n(Op op) {
    using namespace boost::asio::experimental::awaitable_operators;
    timer_.expires_after(timeout_);
    auto outcome = co_await (std::move(op) ||
                             timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
    if (outcome.index() == 0) {
      co_return std::get<0>(outcome);
    }
    co_return std::tuple<error_code, std::size_t>{boost::asio::error::timed_out, 0};
  }

  stream_protocol::socket socket_;
  boost::asio::steady_timer timer_;
  std::chrono::seconds timeout_;
  std::string buffer_;
};

// An address as it goes between < and >; nothing that could end the command early.
bool safe_path(const std::string& address) {
  return address.find_first_of("\r\n<> ") == std::string::npos;
}

lmtp_outcome failed(std::string why, lmtp_reply reply = {}) {
  lmtp_outcome out;
  out.failure = std::move(why);
  out.failure_reply = std::move(reply);
  return out;
}

std::string describe(const std::string& step, const error_code& ec, const lmtp_reply& reply) {
  if (ec) {
    return step + ": " + ec.message();
  }
  return step + ": " + std::to_string(reply.code) + " " + reply.text;
}

}  // namespace

std::string lmtp_stuff(std::string_view chunk, bool& at_line_start, bool& pending_cr) {
  std::string out;
  out.reserve(chunk.size() + chunk.size() / 32 + 4);
  for (char c : chunk) {
    if (pending_cr && c != '\n') {  // a bare CR ends a line too
      out += "\r\n";
      at_line_start = true;
    }
    pending_cr = false;
    if (c == '\r') {
      pending_cr = true;
      continue;
    }
    if (c == '\n') {
      out += "\r\n";
      at_line_start = true;
      continue;
    }
    if (at_line_start && c == '.') {
      out += '.';
    }
    out += c;
    at_line_start = false;
  }
  return out;
}

awaitable<lmtp_outcome> lmtp_send(boost::asio::any_io_executor executor,
                                  const lmtp_settings& settings, std::string sender,
                                  std::vector<std::string> rcpts, std::filesystem::path body) {
  if (!safe_path(sender)) {
    co_return failed("sender not usable in MAIL FROM", lmtp_reply{550, "bad sender"});
  }
  std::ifstream in(body, std::ios::binary);
  if (!in) {
    co_return failed("cannot open the stored copy " + body.string());
  }
  session s(executor, settings.timeout);
  error_code ec;
  if (ec = co_await s.connect(settings.socket); ec) {
    co_return failed(describe("connect " + settings.socket.string(), ec, {}));
  }
  auto greeting = co_await s.read_reply(ec);
  if (ec || greeting.code != 220) {
    s.close();
    co_return failed(describe("greeting", ec, greeting), greeting);
  }
  auto hello = co_await s.command("LHLO " + settings.host, ec);
  if (ec || !hello.positive()) {
    s.close();
    co_return failed(describe("LHLO", ec, hello), hello);
  }
  auto from = co_await s.command("MAIL FROM:<" + sender + ">", ec);
  if (ec || !from.positive()) {
    s.close();
    co_return failed(describe("MAIL FROM", ec, from), from);
  }
  lmtp_outcome out;
  out.replies.resize(rcpts.size());
  std::vector<std::size_t> accepted;
  for (std::size_t i = 0; i < rcpts.size(); ++i) {
    if (!safe_path(rcpts[i])) {
      out.replies[i] = {550, "recipient not usable in RCPT TO"};
      continue;
    }
    out.replies[i] = co_await s.command("RCPT TO:<" + rcpts[i] + ">", ec);
    if (ec) {
      s.close();
      co_return failed(describe("RCPT TO", ec, {}));
    }
    if (out.replies[i].positive()) {
      accepted.push_back(i);
    }
  }
  if (accepted.empty()) {
    (void)co_await s.command("QUIT", ec);
    s.close();
    co_return out;
  }
  auto data = co_await s.command("DATA", ec);
  if (ec || data.code != 354) {
    s.close();
    co_return failed(describe("DATA", ec, data), data);
  }
  bool at_line_start = true;
  bool pending_cr = false;
  std::string chunk(chunk_size, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) {
      break;
    }
    const std::string piece =
        lmtp_stuff(std::string_view(chunk.data(), got), at_line_start, pending_cr);
    if (ec = co_await s.write(piece); ec) {
      s.close();
      co_return failed(describe("data", ec, {}));
    }
  }
  if (in.bad()) {
    s.close();  // no final dot: Dovecot delivers nothing
    co_return failed("cannot read the stored copy " + body.string());
  }
  std::string end = (pending_cr || !at_line_start) ? "\r\n.\r\n" : ".\r\n";
  if (ec = co_await s.write(end); ec) {
    s.close();
    co_return failed(describe("end of data", ec, {}));
  }
  // RFC 2033 section 4.2: one reply per accepted recipient, in order.
  for (std::size_t i : accepted) {
    out.replies[i] = co_await s.read_reply(ec);
    if (ec) {
      // The replies read so far stand; the rest are unknown: temporary, tried again.
      for (std::size_t j = i; j < rcpts.size(); ++j) {
        if (out.replies[j].positive()) {
          out.replies[j] = {451, describe("reply after data", ec, {})};
        }
      }
      s.close();
      co_return out;
    }
  }
  (void)co_await s.command("QUIT", ec);
  s.close();
  co_return out;
}

}  // namespace im2k::ims
