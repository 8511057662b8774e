#include "common/smtp/command.hpp"

#include <array>
#include <charconv>

namespace im2k::smtp {

namespace {

struct verb_name {
  std::string_view name;
  verb what;
};

constexpr std::array<verb_name, 13> verbs = {{
    {"EHLO", verb::ehlo},
    {"HELO", verb::helo},
    {"MAIL", verb::mail},
    {"RCPT", verb::rcpt},
    {"DATA", verb::data},
    {"RSET", verb::rset},
    {"NOOP", verb::noop},
    {"QUIT", verb::quit},
    {"AUTH", verb::auth},
    {"STARTTLS", verb::starttls},
    {"VRFY", verb::vrfy},
    {"EXPN", verb::expn},
    {"HELP", verb::help},
}};

char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = upper(c);
  }
  return out;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (upper(text[i]) != prefix[i]) {
      return false;
    }
  }
  return true;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Printable ASCII without SP (33-126).
bool is_graphic(char c) {
  return c > 32 && c < 127;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

// "<...>" at the front of `text`: the mailbox without source route, and the rest after '>'.
// Quoted strings may hold '>' and spaces; nothing outside them may be a space or a control.
boost::system::result<std::pair<std::string, std::string_view>, command_fault> take_path(
    std::string_view text) {
  if (text.empty() || text.front() != '<') {
    return command_fault::bad_path;
  }
  std::size_t i = 1;
  bool quoted = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u < 32 || u >= 127) {
      return command_fault::bad_path;  // no SMTPUTF8: ASCII only, and never a control
    }
    if (quoted) {
      if (c == '\\' && i + 1 < text.size()) {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      break;
    } else if (c == ' ' || c == '<') {
      return command_fault::bad_path;
    }
  }
  if (i >= text.size()) {
    return command_fault::bad_path;
  }
  std::string_view inside = text.substr(1, i - 1);
  // A source route "@a,@b:mailbox" is accepted and ignored (RFC 5321 section 4.1.2).
  if (!inside.empty() && inside.front() == '@') {
    const auto colon = inside.find(':');
    if (colon == std::string_view::npos) {
      return command_fault::bad_path;
    }
    inside.remove_prefix(colon + 1);
    if (inside.empty()) {
      return command_fault::bad_path;
    }
  }
  return std::pair<std::string, std::string_view>{std::string(inside), text.substr(i + 1)};
}

// SP-separated "KEYWORD[=VALUE]" (RFC 5321 section 4.1.2 esmtp-param).
boost::system::result<void, command_fault> parse_parameters(std::string_view rest, command& c) {
  if (!rest.empty() && rest.front() != ' ') {
    return command_fault::syntax;  // something glued to the '>'
  }
  while (true) {
    rest = trim_spaces(rest);
    if (rest.empty()) {
      return {};
    }
    const auto end = rest.find(' ');
    const std::string_view param = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    const auto eq = param.find('=');
    const std::string_view keyword = param.substr(0, eq);
    if (keyword.empty() || !is_alnum(keyword.front())) {
      return command_fault::bad_parameter;
    }
    for (char ch : keyword) {
      if (!is_alnum(ch) && ch != '-') {
        return command_fault::bad_parameter;
      }
    }
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      const std::string_view v = param.substr(eq + 1);
      if (v.empty()) {
        return command_fault::bad_parameter;
      }
      for (char ch : v) {
        if (!is_graphic(ch) || ch == '=') {
          return command_fault::bad_parameter;
        }
      }
      value = std::string(v);
    }
    std::string name = to_upper(keyword);
    if (name == "SIZE") {  // RFC 1870: 1*20DIGIT
      if (!value || value->size() > 20) {
        return command_fault::bad_parameter;
      }
      std::uint64_t n = 0;
      const auto* first = value->data();
      const auto* last = first + value->size();
      const auto [ptr, ec] = std::from_chars(first, last, n);
      if (ec != std::errc() || ptr != last) {
        return command_fault::bad_parameter;
      }
      c.size = n;
    } else if (name == "BODY") {  // RFC 6152, RFC 3030
      const std::string v = value ? to_upper(*value) : std::string();
      if (v == "7BIT") {
        c.body = body_type::seven_bit;
      } else if (v == "8BITMIME") {
        c.body = body_type::eight_bit_mime;
      } else if (v == "BINARYMIME") {
        c.body = body_type::binary_mime;
      } else {
        return command_fault::bad_parameter;
      }
    }
    for (const auto& [known, ignored] : c.parameters) {
      if (known == name) {
        return command_fault::bad_parameter;  // a parameter given twice
      }
    }
    c.parameters.emplace_back(std::move(name), std::move(value));
  }
}

// "FROM:" or "TO:" (any case), optional spaces, then the path and the parameters.
boost::system::result<command, command_fault> parse_mail_or_rcpt(verb v, std::string_view arg) {
  const std::string_view keyword = v == verb::mail ? "FROM:" : "TO:";
  if (!iequals_prefix(arg, keyword)) {
    return command_fault::syntax;
  }
  arg.remove_prefix(keyword.size());
  while (!arg.empty() && arg.front() == ' ') {
    arg.remove_prefix(1);  // "MAIL FROM: <a@b>" is common enough to accept
  }
  command c;
  c.what = v;
  auto path = take_path(arg);
  if (!path) {
    return path.error();
  }
  c.path = std::move(path->first);
  if (v == verb::rcpt && c.path.empty()) {
    return command_fault::bad_path;  // RCPT TO:<> names nobody
  }
  if (auto params = parse_parameters(path->second, c); !params) {
    return params.error();
  }
  return c;
}

bool valid_mechanism(std::string_view m) {
  if (m.empty() || m.size() > 20) {
    return false;
  }
  for (char c : m) {
    if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(verb v) {
  for (const auto& [name, what] : verbs) {
    if (what == v) {
      return name;
    }
  }
  return "?";
}

boost::system::result<command, command_fault> parse_command(std::string_view line) {
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n') {
      return command_fault::syntax;
    }
  }
  const auto space = line.find(' ');
  const std::string name = to_upper(line.substr(0, space));
  std::string_view arg =
      space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  std::optional<verb> found;
  for (const auto& [n, what] : verbs) {
    if (n == name) {
      found = what;
    }
  }
  if (!found) {
    return command_fault::unknown;
  }
  command c;
  c.what = *found;
  switch (*found) {
    case verb::mail:
    case verb::rcpt:
      return parse_mail_or_rcpt(*found, arg);
    case verb::ehlo:
    case verb::helo: {
      arg = trim_spaces(arg);
      if (arg.empty() || arg.find(' ') != std::string_view::npos) {
        return command_fault::syntax;
      }
      for (char ch : arg) {
        if (!is_graphic(ch)) {
          return command_fault::syntax;
        }
      }
      c.argument = std::string(arg);
      return c;
    }
    case verb::data:
    case verb::rset:
    case verb::quit:
    case verb::starttls:
      if (!trim_spaces(arg).empty()) {
        return command_fault::syntax;
      }
      return c;
    case verb::auth: {
      arg = trim_spaces(arg);
      const auto sp = arg.find(' ');
      c.argument = to_upper(arg.substr(0, sp));
      if (!valid_mechanism(c.argument)) {
        return command_fault::syntax;
      }
      if (sp != std::string_view::npos) {
        const std::string_view response = trim_spaces(arg.substr(sp));
        if (response.empty() || response.find(' ') != std::string_view::npos) {
          return command_fault::syntax;
        }
        c.initial_response = std::string(response);
      }
      return c;
    }
    case verb::noop:
    case verb::vrfy:
    case verb::expn:
    case verb::help:
      c.argument = std::string(trim_spaces(arg));
      if ((*found == verb::vrfy || *found == verb::expn) && c.argument.empty()) {
        return command_fault::syntax;
      }
      return c;
  }
  return command_fault::unknown;
}

}  // namespace im2k::smtp
