// Runs check_host() to completion on a private io_context (the test's own thread).
#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "common/spf/check_host.hpp"

namespace im2k::spf::test {

inline evaluation run_check(dns::resolver& resolver, check_input input) {
  boost::asio::io_context io;
  std::optional<evaluation> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, check_host(resolver, std::move(input)),
                        [&](std::exception_ptr e, evaluation result) {
                          failure = e;
                          out = std::move(result);
                        });
  io.run();
  if (failure) {
    std::rethrow_exception(failure);
  }
  if (!out) {
    throw std::logic_error("check_host did not complete");
  }
  return std::move(*out);
}

}  // namespace im2k::spf::test
