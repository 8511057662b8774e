// Test support: a connected pair of local stream sockets on one io_context (a real Asio stream
// for the codec, no network), and a way to run coroutines on it to completion.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

namespace im2k::proto::test {

struct stream_pair {
  boost::asio::io_context io;
  boost::asio::local::stream_protocol::socket writer{io};
  boost::asio::local::stream_protocol::socket reader{io};

  stream_pair() { boost::asio::local::connect_pair(writer, reader); }

  // Raw octets from the writer end (blocking: only for small data the kernel buffers).
  void send(const std::string& bytes) { boost::asio::write(writer, boost::asio::buffer(bytes)); }
  void close_writer() { writer.close(); }

  // Runs `operation` (and anything else spawned) until the io_context has no more work, and
  // returns its value; bounded by the io_context running out of work or `limit`.
  template <class T>
  T run(boost::asio::awaitable<T> operation,
        std::chrono::seconds limit = std::chrono::seconds(60)) {
    std::optional<T> value;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, std::move(operation), [&](std::exception_ptr e, T v) {
      failure = e;
      if (!e)
        value.emplace(std::move(v));
    });
    io.restart();
    io.run_for(limit);
    if (failure)
      std::rethrow_exception(failure);
    if (!value)
      throw std::runtime_error("operation did not complete");
    return std::move(*value);
  }
};

}  // namespace im2k::proto::test
