// The bench's messages: valid RFC 5322 with CRLF line ends ([S-6]), a From: of the sender, and
// a body of filler lines (at most 76 characters) padded to the requested size. Generated as
// they are sent, so a 50 MiB message costs the bench no more memory than a 1 KiB one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace im2k::bench {

class message_stream {
 public:
  // A message of exactly `size` octets when `size` leaves room for the header section (else the
  // header section and an empty body: the smallest valid message). `serial` makes the
  // Message-ID, Subject and filler differ between messages.
  message_stream(const std::string& from, const std::string& to_field, std::size_t size,
                 std::size_t serial);

  // The octets the whole message has.
  std::size_t size() const { return size_; }

  // Copies the next octets into `out`; 0 once the message is done.
  std::size_t read(std::span<char> out);

 private:
  void next_line();

  std::string pending_;  // the header section, then the current filler line
  std::size_t pending_at_ = 0;
  std::size_t size_ = 0;
  std::size_t body_left_ = 0;  // filler octets not yet in pending_
  std::size_t line_ = 0;       // filler line counter (the serial first)
};

// The largest --size: the bench streams each message, so only the OMS's max_message_size caps
// it really; this keeps a typo from asking for a day of sending.
constexpr std::uint64_t max_message_size = std::uint64_t{4} << 30;

// A --size value: octets ("1024") or a size with a binary unit ("100KiB", "50MiB", "1GiB", the
// syntax of the configs' sizes), 1 octet to max_message_size; absent otherwise.
std::optional<std::size_t> parse_message_size(std::string_view text);

// The whole message as one string (for tests and small messages).
std::string make_message(const std::string& from, const std::string& to_field, std::size_t size,
                         std::size_t serial);

}  // namespace im2k::bench
