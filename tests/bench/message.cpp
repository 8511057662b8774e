#include "tests/bench/message.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>

#include "common/config/parse.hpp"

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

message_stream::message_stream(const std::string& from, const std::string& to_field,
                               std::size_t size, std::size_t serial)
    : pending_(header_section(from, to_field, serial, 0)), line_(serial) {
  if (size > pending_.size() && size - pending_.size() == 1) {
    // A body line is at least its CRLF: one octet left over cannot be a line, so the subject
    // takes it.
    pending_ = header_section(from, to_field, serial, 1);
  }
  size_ = std::max(size, pending_.size());
  body_left_ = size_ - pending_.size();
}

void message_stream::next_line() {
  std::size_t n = std::min(max_line, body_left_ - 2);
  if (body_left_ - (n + 2) == 1) {
    --n;  // so that what is left is a whole (empty) line
  }
  pending_.clear();
  for (std::size_t i = 0; i < n; ++i) {
    pending_.push_back(static_cast<char>('a' + (line_ + i) % 26));
  }
  pending_ += "\r\n";
  pending_at_ = 0;
  body_left_ -= n + 2;
  ++line_;
}

std::size_t message_stream::read(std::span<char> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    if (pending_at_ == pending_.size()) {
      if (body_left_ < 2) {
        break;  // the constructor leaves body_left_ 0 or at least 2
      }
      next_line();
    }
    const std::size_t n = std::min(out.size() - done, pending_.size() - pending_at_);
    std::memcpy(out.data() + done, pending_.data() + pending_at_, n);
    pending_at_ += n;
    done += n;
  }
  return done;
}

std::optional<std::size_t> parse_message_size(std::string_view text) {
  const auto size = config::parse_size(text);
  if (!size || *size == 0 || *size > max_message_size) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(*size);
}

std::string make_message(const std::string& from, const std::string& to_field, std::size_t size,
                         std::size_t serial) {
  message_stream stream(from, to_field, size, serial);
  std::string text(stream.size(), '\0');
  const std::size_t n = stream.read(text);
  text.resize(n);
  return text;
}

}  // namespace im2k::bench
