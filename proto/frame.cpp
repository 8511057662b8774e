#include "proto/frame.hpp"

#include <vector>

#include "proto/utf8.hpp"

namespace im2k::proto {
namespace {

using json = nlohmann::json;

// Builds the DOM like nlohmann's own SAX DOM parser, but refuses duplicate member names ([F-9]:
// the library would silently keep the last one) and nesting deeper than 16 levels ([F-12])
// before the deeper value is ever built.
class strict_dom_builder {
 public:
  json root;
  std::optional<codec_failure> failure;
  bool complete = false;  // the top-level value has ended: anything after it is trailing data

  bool null() { return add(json(nullptr)); }
  bool boolean(bool value) { return add(json(value)); }
  bool number_integer(json::number_integer_t value) { return add(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return add(json(value)); }
  bool number_float(json::number_float_t value, const json::string_t&) { return add(json(value)); }
  bool string(json::string_t& value) { return add(json(std::move(value))); }
  bool binary(json::binary_t&) {
    failure = codec_failure(codec_errc::invalid_json, {}, "binary value");
    return false;
  }

  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& name) {
    if (stack_.back()->contains(name)) {
      failure = codec_failure(codec_errc::duplicate_member, name);
      return false;
    }
    key_ = std::move(name);
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
    failure = codec_failure(complete ? codec_errc::trailing_data : codec_errc::invalid_json, {},
                            error.what());
    return false;
  }

 private:
  std::vector<json*> stack_;
  std::string key_;

  json* place(json&& value) {
    if (stack_.empty()) {
      root = std::move(value);
      return &root;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }

  bool add(json&& value) {
    place(std::move(value));
    if (stack_.empty())
      complete = true;
    return true;
  }

  bool open(json&& container) {
    if (stack_.size() + 1 > max_json_depth) {
      failure = codec_failure(codec_errc::too_deep);
      return false;
    }
    stack_.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    stack_.pop_back();
    if (stack_.empty())
      complete = true;
    return true;
  }
};

}  // namespace

result<std::size_t> decode_length(std::span<const unsigned char, frame_header_size> header) {
  const std::size_t length = (std::size_t{header[0]} << 24) | (std::size_t{header[1]} << 16) |
                             (std::size_t{header[2]} << 8) | std::size_t{header[3]};
  if (length == 0)
    return codec_failure(codec_errc::length_zero);
  if (length > max_frame_payload) {
    return codec_failure(codec_errc::length_too_large, {}, std::to_string(length));
  }
  return length;
}

result<std::size_t> decode_length(std::string_view header) {
  if (header.size() != frame_header_size)
    return codec_failure(codec_errc::truncated);
  std::array<unsigned char, frame_header_size> bytes;
  for (std::size_t i = 0; i < frame_header_size; ++i) {
    bytes[i] = static_cast<unsigned char>(header[i]);
  }
  return decode_length(std::span<const unsigned char, frame_header_size>(bytes));
}

std::array<unsigned char, frame_header_size> encode_length(std::size_t length) {
  return {static_cast<unsigned char>(length >> 24), static_cast<unsigned char>(length >> 16),
          static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length)};
}

result<json> parse_payload(std::string_view payload) {
  if (!is_valid_utf8(payload))
    return codec_failure(codec_errc::invalid_utf8);
  // RFC 8259 lets a parser skip a byte order mark; two parsers could then disagree, so refuse.
  if (payload.starts_with("\xEF\xBB\xBF")) {
    return codec_failure(codec_errc::invalid_json, {}, "byte order mark");
  }
  strict_dom_builder builder;
  const bool ok = json::sax_parse(payload.begin(), payload.end(), &builder,
                                  json::input_format_t::json, /*strict=*/true);
  if (!ok) {
    if (builder.failure)
      return std::move(*builder.failure);
    return codec_failure(codec_errc::invalid_json);
  }
  if (!builder.root.is_object()) {
    return codec_failure(codec_errc::not_object, {}, builder.root.type_name());
  }
  return result<json>(boost::system::in_place_value, std::move(builder.root));
}

result<std::optional<std::uint64_t>> parse_body_len(const json& object) {
  const auto it = object.find("body_len");
  if (it == object.end())
    return std::optional<std::uint64_t>{};
  if (it->is_number_unsigned() && it->get<std::uint64_t>() <= max_integer) {
    return std::optional<std::uint64_t>{it->get<std::uint64_t>()};
  }
  if (it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() >= 0) {
    return std::optional<std::uint64_t>{static_cast<std::uint64_t>(it->get<std::int64_t>())};
  }
  return codec_failure(codec_errc::bad_body_len, "body_len");
}

result<std::string> encode_frame(const json& object) {
  std::string payload;
  try {
    payload = object.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::type_error& error) {
    return codec_failure(codec_errc::invalid_utf8, {}, error.what());
  }
  if (payload.size() > max_frame_payload) {
    return codec_failure(codec_errc::length_too_large, {}, std::to_string(payload.size()));
  }
  const auto header = encode_length(payload.size());
  std::string bytes(header.begin(), header.end());
  bytes += payload;
  return bytes;
}

}  // namespace im2k::proto
