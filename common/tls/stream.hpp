// The TLS stream every im2k connection uses.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace im2k::tls {

using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

}  // namespace im2k::tls
