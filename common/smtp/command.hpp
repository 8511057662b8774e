// SMTP commands (RFC 5321 section 4.1) parsed from one line without its CRLF, without any I/O
// and without policy: the syntax of EHLO/HELO, MAIL FROM and RCPT TO with their parameters
// (RFC 1870 SIZE, RFC 6152 BODY, RFC 4954 AUTH), DATA, RSET, NOOP, QUIT, AUTH, STARTTLS, VRFY,
// EXPN and HELP. Whether an address is acceptable is the caller's decision.
//
//   auto c = smtp::parse_command("MAIL FROM:<alice@alpha.test> SIZE=1200 BODY=8BITMIME");
//   c->verb == smtp::verb::mail; c->path == "alice@alpha.test"; c->size == 1200
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/system/result.hpp>

namespace im2k::smtp {

enum class verb {
  ehlo,
  helo,
  mail,
  rcpt,
  data,
  rset,
  noop,
  quit,
  auth,
  starttls,
  vrfy,
  expn,
  help
};

enum class body_type { seven_bit, eight_bit_mime, binary_mime };

struct command {
  verb what = verb::noop;
  // EHLO/HELO: the domain or address literal; AUTH: the mechanism, upper-cased; VRFY, EXPN,
  // HELP, NOOP: the argument as sent (possibly empty).
  std::string argument;
  // AUTH: the initial response as sent ("=" is an empty one, RFC 4954 section 4).
  std::optional<std::string> initial_response;
  // MAIL and RCPT: the mailbox inside <...>, source route removed ("" for MAIL FROM:<>).
  std::string path;
  // MAIL and RCPT: every parameter, keyword upper-cased, value as sent (nullopt: no '=').
  std::vector<std::pair<std::string, std::optional<std::string>>> parameters;
  // MAIL: the values of SIZE= and BODY= when given (also in `parameters`).
  std::optional<std::uint64_t> size;
  std::optional<body_type> body;
};

// What is wrong with a line; the server answers the reply this names (see server_session).
enum class command_fault {
  unknown,       // not a command we know: 500 5.5.1
  syntax,        // a known command with a malformed argument: 501 5.5.4
  bad_path,      // MAIL/RCPT path without <...> or with a broken mailbox: 501 5.1.7 / 5.1.3
  bad_parameter  // a parameter we do not know or whose value is malformed: 555 5.5.4
};

boost::system::result<command, command_fault> parse_command(std::string_view line);

// The verb as written on the wire ("MAIL", ...), for logs.
std::string_view to_string(verb v);

}  // namespace im2k::smtp
