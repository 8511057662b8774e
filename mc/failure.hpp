// What went wrong in a client command, as a value: the server's refusal (its wire code, its
// `temporary` flag and its message) or a local failure with a code of our own. It decides the
// exit status: 2 usage or configuration, 75 temporary (EX_TEMPFAIL), 1 anything else.
#pragma once

#include <string>
#include <utility>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

namespace im2k::mc {

// Local codes, beside the wire codes of proto/error.hpp.
inline constexpr const char* code_usage = "usage";
inline constexpr const char* code_config = "config";
inline constexpr const char* code_dns = "dns";
inline constexpr const char* code_connection = "connection";
inline constexpr const char* code_io = "io";
// [S-11]: the message went out but the answer did not come back.
inline constexpr const char* code_uncertain = "uncertain";

struct failure {
  // Not an aggregate, so that outcome<std::string> is unambiguously built from a string.
  failure() = default;
  failure(std::string c, bool t, std::string m, bool server = false)
      : code(std::move(c)), temporary(t), message(std::move(m)), from_server(server) {}

  std::string code;
  bool temporary = false;
  std::string message;
  bool from_server = false;  // a refusal the server sent, rather than our own finding
};

inline constexpr int exit_permanent = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_temporary = 75;

int exit_status_of(const failure& f);

[[noreturn]] void throw_exception_from_error(const failure& f,
                                             const boost::source_location& location);

template <class T>
using outcome = boost::system::result<T, failure>;

}  // namespace im2k::mc
