#include "tests/bench/message.hpp"

#include <algorithm>
#include <ctime>

namespace im2k::bench {

namespace {

constexpr std::size_t max_line = 76;

std::string date_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return text;
}

std::string header_section(const std::string& from, const std::string& to_field, std::size_t serial,
                           std::size_t subject_padding) {
  const std::string n = std::to_string(serial);
  const std::string domain = from.substr(from.find('@') + 1);
  return "From: " + from + "\r\n" + "To: " + to_field + "\r\n" + "Subject: im2k-bench " + n +
         std::string(subject_padding, '.') + "\r\n" + "Date: " + date_now() + "\r\n" +
         "Message-ID: <bench." + n + "." + std::to_string(std::time(nullptr)) + "@" + domain +
         ">\r\n" + "\r\n";
}

}  // namespace

std::string make_message(const std::string& from, const std::string& to_field, std::size_t size,
                         std::size_t serial) {
  std::string message = header_section(from, to_field, serial, 0);
  if (size <= message.size()) {
    return message;
  }
  // A body line is at least its CRLF: one octet left over cannot be a line, so the subject
  // takes it.
  if (size - message.size() == 1) {
    message = header_section(from, to_field, serial, 1);
    return message;
  }
  message.reserve(size);
  std::size_t remaining = size - message.size();
  std::size_t k = serial;
  while (remaining >= 2) {
    std::size_t n = std::min(max_line, remaining - 2);
    if (remaining - (n + 2) == 1) {
      --n;  // so that what is left is a whole (empty) line
    }
    for (std::size_t i = 0; i < n; ++i) {
      message.push_back(static_cast<char>('a' + (k + i) % 26));
    }
    message += "\r\n";
    remaining -= n + 2;
    ++k;
  }
  return message;
}

}  // namespace im2k::bench
