// Runs one command's coroutine on a fresh single-threaded io_context and returns its exit
// status. Every wait inside is bounded by the connection's deadlines, so this ends.
#pragma once

#include <exception>
#include <iostream>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "mc/failure.hpp"

namespace im2k::mc {

template <class Make>
int run_command(Make make) {
  boost::asio::io_context io;
  std::optional<int> status;
  boost::asio::co_spawn(io, make(), [&status](std::exception_ptr error, int result) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::cerr << "im2k: internal: " << e.what() << '\n';
      }
      status = exit_permanent;
      return;
    }
    status = result;
  });
  while (!status && io.run_one() > 0) {
  }
  return status.value_or(exit_temporary);
}

}  // namespace im2k::mc
