// Boost.Asio and its SSL layer compiled once for the whole project
// (BOOST_ASIO_SEPARATE_COMPILATION is set in the top-level CMakeLists.txt).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
