// How bodies move between the network and their owner ([F-11]): in chunks of at most
// proto::body_chunk_size octets, never whole.
#pragma once

#include <cstddef>
#include <functional>
#include <span>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace im2k::net {

// Receives the next chunk of a body; an error stops the transfer (the connection is then closed,
// since the rest of the body is still on the stream).
using body_sink =
    std::function<boost::asio::awaitable<boost::system::error_code>(std::span<const char>)>;

// Fills the front of the buffer with the next 1 ... buffer.size() octets of a body and says how
// many; 0 before the announced length, or an error, breaks the connection.
using body_source =
    std::function<boost::asio::awaitable<boost::system::result<std::size_t>>(std::span<char>)>;

}  // namespace im2k::net
