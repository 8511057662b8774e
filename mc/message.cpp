#include "mc/message.hpp"

#include <algorithm>
#include <cstdio>

#include "common/crypto/base64.hpp"
#include "proto/utf8.hpp"

namespace im2k::mc {

namespace {

constexpr std::size_t max_encoded_chunk = 45;  // octets per encoded word: 60 base64 characters

bool is_plain_ascii(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) {
      return false;
    }
  }
  return true;
}

// The length of the UTF-8 sequence that starts with `lead` (1 for anything else).
std::size_t sequence_length(unsigned char lead) {
  if (lead >= 0xf0) {
    return 4;
  }
  if (lead >= 0xe0) {
    return 3;
  }
  if (lead >= 0xc0) {
    return 2;
  }
  return 1;
}

}  // namespace

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string prepare_message(std::string_view text) {
  std::string out = to_crlf(text);
  const bool has_blank_line = out.starts_with("\r\n") || out.find("\r\n\r\n") != std::string::npos;
  if (!has_blank_line) {
    if (!out.empty() && !out.ends_with("\r\n")) {
      out += "\r\n";
    }
    out += "\r\n";
  }
  return out;
}

std::string rfc5322_date(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  // Names from fixed tables: strftime's %a and %b would follow the locale.
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
                tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return text;
}

outcome<std::string> encode_subject(std::string_view subject) {
  for (char c : subject) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return failure{code_usage, false, "the subject may not contain control characters"};
    }
  }
  if (subject.size() > 900) {
    return failure{code_usage, false, "the subject is longer than 900 octets"};
  }
  if (is_plain_ascii(subject)) {
    return std::string(subject);
  }
  if (!proto::is_valid_utf8(subject)) {
    return failure{code_usage, false, "the subject is not UTF-8"};
  }
  // Encoded words never split a UTF-8 sequence (RFC 2047 section 5).
  std::string out;
  std::size_t i = 0;
  while (i < subject.size()) {
    std::size_t end = i;
    while (end < subject.size()) {
      const std::size_t n = sequence_length(static_cast<unsigned char>(subject[end]));
      if (end + n - i > max_encoded_chunk) {
        break;
      }
      end += n;
    }
    end = std::min(end, subject.size());
    if (!out.empty()) {
      out += "\r\n ";
    }
    // crypto::base64_encode leaves out the padding that RFC 2047's "B" encoding needs.
    std::string encoded = crypto::base64_encode(subject.substr(i, end - i));
    encoded.append((4 - encoded.size() % 4) % 4, '=');
    out += "=?UTF-8?B?" + encoded + "?=";
    i = end;
  }
  return out;
}

outcome<std::string> compose(const composition& c) {
  auto subject = encode_subject(c.subject);
  if (!subject) {
    return subject.error();
  }
  std::string to = "To: ";
  std::size_t line = to.size();
  for (std::size_t i = 0; i < c.to.size(); ++i) {
    std::string item = c.to[i] + (i + 1 < c.to.size() ? "," : "");
    if (i > 0 && line + 1 + item.size() > 78) {
      to += "\r\n ";
      line = 1;
    } else if (i > 0) {
      to += ' ';
      ++line;
    }
    to += item;
    line += item.size();
  }
  std::string m;
  m += "From: " + c.from + "\r\n";
  m += to + "\r\n";
  m += "Date: " + rfc5322_date(c.date) + "\r\n";
  m += "Message-ID: " + c.message_id + "\r\n";
  if (!c.subject.empty()) {
    m += "Subject: " + *subject + "\r\n";
  }
  m += "MIME-Version: 1.0\r\n";
  const bool ascii_body = std::all_of(
      c.body.begin(), c.body.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
  m += ascii_body
           ? "Content-Type: text/plain; charset=us-ascii\r\n"
           : "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n";
  m += "\r\n";
  m += to_crlf(c.body);
  return m;
}

}  // namespace im2k::mc
