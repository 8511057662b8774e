#include "tests/bench/metrics_scrape.hpp"

#include <cstdlib>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/config/parse.hpp"

namespace im2k::bench {

namespace {

using boost::asio::awaitable;
constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// The whole response (the endpoint closes after it); empty on any failure.
awaitable<std::string> http_get(boost::asio::ip::tcp::endpoint server) {
  boost::asio::ip::tcp::socket socket(co_await boost::asio::this_coro::executor);
  auto [connect_error] = co_await socket.async_connect(server, use_tuple);
  if (connect_error) {
    co_return std::string();
  }
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n";
  auto [write_error, written] =
      co_await boost::asio::async_write(socket, boost::asio::buffer(request), use_tuple);
  if (write_error) {
    co_return std::string();
  }
  std::string response;
  char buffer[16384];
  for (;;) {
    auto [error, n] = co_await socket.async_read_some(boost::asio::buffer(buffer), use_tuple);
    response.append(buffer, n);
    if (error || response.size() > (std::size_t{16} << 20)) {
      break;
    }
  }
  co_return response;
}

}  // namespace

std::optional<std::string> scrape_metrics(const std::string& address_port,
                                          std::chrono::milliseconds timeout) {
  const auto endpoint = config::parse_endpoint(address_port, false);
  if (!endpoint) {
    return std::nullopt;
  }
  boost::asio::io_context io(1);
  std::string response;
  boost::asio::co_spawn(io, http_get(*endpoint),
                        [&](const std::exception_ptr&, std::string r) { response = std::move(r); });
  io.run_for(timeout);  // what is still running then is abandoned with the io_context
  if (response.rfind("HTTP/1.1 200", 0) != 0 && response.rfind("HTTP/1.0 200", 0) != 0) {
    return std::nullopt;
  }
  const auto body = response.find("\r\n\r\n");
  if (body == std::string::npos) {
    return std::nullopt;
  }
  return response.substr(body + 4);
}

std::optional<std::map<std::string, double>> samples_by_label(std::string_view text,
                                                              std::string_view family,
                                                              std::string_view label) {
  std::optional<std::map<std::string, double>> out;
  const std::string key = std::string(label) + "=\"";
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() <= family.size() || line.compare(0, family.size(), family) != 0 ||
        (line[family.size()] != '{' && line[family.size()] != ' ')) {
      continue;  // another family, a longer name, or a # HELP / # TYPE line
    }
    std::string value;
    if (const auto at = line.find(key); at != std::string::npos && line[family.size()] == '{') {
      const auto start = at + key.size();
      const auto end = line.find('"', start);
      value = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    const auto space = line.rfind(' ');
    if (!out) {
      out.emplace();
    }
    (*out)[value] += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

}  // namespace im2k::bench
