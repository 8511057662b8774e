// The sans-IO half of the frame codec (SPEC.md "Framing"): pure functions over bytes, with no
// socket in sight, so that the fuzzer and the tests can drive them directly.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"

namespace im2k::proto {

inline constexpr std::size_t frame_header_size = 4;
inline constexpr std::size_t max_frame_payload = 65536;                     // [F-2]
inline constexpr std::size_t max_json_depth = 16;                           // [F-12]
inline constexpr std::uint64_t max_integer = (std::uint64_t{1} << 53) - 1;  // [V-6]

// One received frame: the JSON object and, when it announces one, the length of the body that
// follows it on the stream ([F-5]).
struct frame {
  nlohmann::json object;
  std::optional<std::uint64_t> body_len;
};

// [F-2]: the payload length L from the 4-byte big-endian header; 1 <= L <= 65 536.
result<std::size_t> decode_length(std::span<const unsigned char, frame_header_size> header);
result<std::size_t> decode_length(std::string_view header);  // exactly 4 octets
std::array<unsigned char, frame_header_size> encode_length(std::size_t length);

// [F-3], [F-4], [F-9], [F-12]: the L payload octets to one JSON object. Strict: valid UTF-8, no
// byte order mark, exactly one value and that an object, no duplicate member name at any depth,
// at most 16 levels of nesting.
result<nlohmann::json> parse_payload(std::string_view payload);

// [F-5]: the object's body_len, if it has one. A body_len that is not an integer 0 ... 2^53 - 1
// is a framing error (bad_body_len), since nobody could tell where the next frame starts.
result<std::optional<std::uint64_t>> parse_body_len(const nlohmann::json& object);

// Header and payload of one frame. Refuses payloads over 65 536 octets (length_too_large) and
// strings that are not valid UTF-8 (invalid_utf8).
result<std::string> encode_frame(const nlohmann::json& object);

}  // namespace im2k::proto
