// Test support: body sinks and sources over strings, in the shapes read_body/write_body take.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace im2k::proto::test {

// Appends every chunk to `out` and remembers the largest chunk seen.
struct string_sink {
  std::string* out;
  std::size_t* largest_chunk;
  boost::asio::awaitable<boost::system::error_code> operator()(std::span<const char> chunk) {
    out->append(chunk.data(), chunk.size());
    *largest_chunk = std::max(*largest_chunk, chunk.size());
    co_return boost::system::error_code{};
  }
};

// Serves `data` from the front, as much as each buffer holds.
struct string_source {
  const std::string* data;
  std::size_t offset = 0;
  boost::asio::awaitable<boost::system::result<std::size_t>> operator()(std::span<char> buffer) {
    const std::size_t n = std::min(buffer.size(), data->size() - offset);
    std::copy_n(data->data() + offset, n, buffer.data());
    offset += n;
    co_return n;
  }
};

}  // namespace im2k::proto::test
