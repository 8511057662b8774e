#include "ims/headers.hpp"

#include <array>
#include <vector>

namespace im2k::ims {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_wsp(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_wsp(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// Removes every CRLF that is followed by SP or HTAB ([S-7] unfolding); a trailing CRLF goes too.
std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
      ++i;
      continue;
    }
    out.push_back(value[i]);
  }
  return out;
}

// One field: its name and its raw value (after the colon, continuation lines included, with
// their CRLFs), plus the raw text of the whole field.
struct field {
  std::string_view name;
  std::string_view value;
  std::string_view raw;
};

}  // namespace

std::string format_date(std::time_t when) {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

std::string address_literal(const boost::asio::ip::address& address) {
  if (address.is_v6()) {
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
      return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
    }
    return "IPv6:" + v6.to_string();
  }
  return address.to_string();
}

std::string trace_fields(const trace_values& v) {
  std::string out;
  out += "Authentication-Results: " + v.ims_host + ";\r\n";
  out += "\tspf=pass smtp.mailfrom=" + v.sender + " smtp.helo=" + v.peer_host + ";\r\n";
  out += "\tx-im2k-tls=pass policy.cert-host=" + v.peer_host +
         " policy.tls-version=" + v.tls_version + "\r\n";
  out += "Received: from " + v.peer_host + " (" + v.peer_host + " [" + address_literal(v.address) +
         "])\r\n";
  out += "\tby " + v.ims_host + " with IM2K id " + v.msg + "; " + format_date(v.when) + "\r\n";
  return out;
}

std::optional<proto::address> parse_from_value(std::string_view raw) {
  const std::string unfolded = unfold(raw);
  const std::string_view value = trim(unfolded);
  if (value.empty()) {
    return std::nullopt;
  }
  if (value.back() != '>') {
    auto bare = proto::parse_address(value);
    if (!bare) {
      return std::nullopt;
    }
    return *bare;
  }
  // display-name <address>: the display name has no < > @, and , ; : only inside quotes.
  bool quoted = false;
  std::size_t open = std::string_view::npos;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      open = i;
      break;
    } else if (c == '>' || c == '@' || c == ',' || c == ';' || c == ':' || c == '(' || c == ')') {
      return std::nullopt;  // a second mailbox, a group, a comment, or a bare address
    }
  }
  if (quoted || open == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view inner = value.substr(open + 1, value.size() - open - 2);
  auto address = proto::parse_address(inner);
  if (!address) {
    return std::nullopt;
  }
  return *address;
}

std::string authserv_id_of(std::string_view raw) {
  const std::string unfolded = unfold(raw);
  std::string_view value = trim(unfolded);
  // Leading comments, "(...)", are allowed by RFC 8601's CFWS.
  while (!value.empty() && value.front() == '(') {
    int depth = 0;
    std::size_t i = 0;
    for (; i < value.size(); ++i) {
      if (value[i] == '(') {
        ++depth;
      } else if (value[i] == ')' && --depth == 0) {
        break;
      }
    }
    value = trim(i < value.size() ? value.substr(i + 1) : std::string_view());
  }
  std::size_t end = 0;
  while (end < value.size() && !is_wsp(value[end]) && value[end] != ';' && value[end] != '(') {
    ++end;
  }
  return proto::to_lower(value.substr(0, end));
}

header_verdict check_header_section(std::string_view section, std::string_view authserv_id) {
  header_verdict verdict;
  auto refuse = [&](std::string reason) {
    verdict.refusal = proto::errc::bad_request;
    verdict.reason = std::move(reason);
    verdict.from.reset();
    verdict.kept.clear();
    return verdict;
  };
  if (section.empty() || section.size() > max_header_section) {
    return refuse("the header section must be 1-65536 octets");
  }
  // Split into lines (each ends in CRLF: the caller checked line ends) and group into fields.
  std::vector<field> fields;
  std::size_t pos = 0;
  while (pos < section.size()) {
    const std::size_t eol = section.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      return refuse("a header line without CRLF");
    }
    const std::string_view line = section.substr(pos, eol - pos);
    const std::string_view with_crlf = section.substr(pos, eol + 2 - pos);
    if (line.size() > 998) {
      return refuse("a header line longer than 998 octets");
    }
    if (!line.empty() && is_wsp(line.front())) {
      if (fields.empty()) {
        return refuse("the header section starts with a continuation line");
      }
      field& last = fields.back();
      last.value = std::string_view(last.value.data(),
                                    with_crlf.data() + with_crlf.size() - last.value.data());
      last.raw =
          std::string_view(last.raw.data(), with_crlf.data() + with_crlf.size() - last.raw.data());
    } else {
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0 || colon > 76) {
        return refuse("a header line that is neither a field nor a continuation");
      }
      for (std::size_t i = 0; i < colon; ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (c < 33 || c > 126) {
          return refuse("a header field name with a character outside 33-126");
        }
      }
      fields.push_back({line.substr(0, colon), with_crlf.substr(colon + 1), with_crlf});
    }
    pos = eol + 2;
  }
  std::optional<std::string_view> from_value;
  for (const auto& f : fields) {
    if (proto::iequals(f.name, "From")) {
      if (from_value) {
        return refuse("more than one From: field");
      }
      from_value = f.value;
    }
  }
  if (!from_value) {
    return refuse("no From: field");
  }
  verdict.from = parse_from_value(*from_value);
  if (!verdict.from) {
    return refuse("the From: field is not one address");
  }
  const std::string own = proto::to_lower(authserv_id);
  for (const auto& f : fields) {
    if (proto::iequals(f.name, "Authentication-Results") && authserv_id_of(f.value) == own) {
      continue;  // a sender must not forge our verdict (RFC 8601 section 5)
    }
    verdict.kept.append(f.raw);
  }
  return verdict;
}

}  // namespace im2k::ims
