// Runs one coroutine to completion and returns its value (rethrowing its exception). For tests
// of code written as awaitables.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace im2k::test {

// On `io`, which may hold other work (sockets, timers) that outlives the coroutine: runs
// handlers only until the coroutine is done, or throws std::runtime_error after `timeout`.
template <class T>
T run_awaitable(boost::asio::io_context& io, boost::asio::awaitable<T> task,
                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { result.emplace(co_await std::move(task)); },
      [&](std::exception_ptr e) {
        error = e;
        done = true;
      });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  io.restart();
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.run_one_until(deadline);
  }
  if (!done) {
    throw std::runtime_error("run_awaitable: timed out");
  }
  if (error) {
    std::rethrow_exception(error);
  }
  return std::move(*result);
}

// On a fresh io_context.
template <class T>
T run_awaitable(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  return run_awaitable(io, std::move(task));
}

}  // namespace im2k::test
