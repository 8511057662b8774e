#include "proto/fields.hpp"

#include <set>

namespace im2k::proto::fields {

const json* find(const json& object, std::string_view name) {
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

result<const json*> require(const json& object, std::string_view name, const std::string& path) {
  const json* member = find(object, name);
  if (member == nullptr)
    return codec_failure(codec_errc::missing_field, path);
  return member;
}

result<std::uint64_t> integer(const json& value, const std::string& path, std::uint64_t min,
                              std::uint64_t max) {
  // Parsed input has non-negative integers as unsigned; objects built in code may hold them as
  // signed.
  const bool non_negative =
      value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
  if (non_negative) {
    const auto n = value.get<std::uint64_t>();
    if (n < min || n > max) {
      return codec_failure(codec_errc::out_of_range, path, std::to_string(n));
    }
    return n;
  }
  if (value.is_number_integer()) {  // negative
    return codec_failure(codec_errc::out_of_range, path, std::to_string(value.get<std::int64_t>()));
  }
  if (value.is_number_float()) {
    // The parser keeps integers too large for 64 bits as floating point; a literal with a
    // fraction or an exponent is not an integer at all ([V-6]). Both are refused; the former
    // as out of range.
    const double d = value.get<double>();
    if (d >= 1.8446744073709552e19 || d <= -9.2233720368547758e18) {
      return codec_failure(codec_errc::out_of_range, path, "too large");
    }
    return codec_failure(codec_errc::wrong_type, path, "not an integer");
  }
  return codec_failure(codec_errc::wrong_type, path,
                       std::string("integer expected, got ") + value.type_name());
}

result<bool> boolean(const json& value, const std::string& path) {
  if (!value.is_boolean()) {
    return codec_failure(codec_errc::wrong_type, path,
                         std::string("boolean expected, got ") + value.type_name());
  }
  return value.get<bool>();
}

result<std::string> text(const json& value, const std::string& path, std::size_t max,
                         std::size_t min) {
  if (!value.is_string()) {
    return codec_failure(codec_errc::wrong_type, path,
                         std::string("string expected, got ") + value.type_name());
  }
  const auto& s = value.get_ref<const json::string_t&>();
  if (s.size() > max)
    return codec_failure(codec_errc::too_long, path, std::to_string(s.size()));
  if (s.size() < min)
    return codec_failure(codec_errc::out_of_range, path, "too short");
  return s;
}

namespace {

template <class Predicate>
result<std::string> syntax(const json& value, const std::string& path, Predicate ok,
                           const char* what) {
  auto s = text(value, path, max_text);
  if (!s) {
    if (s.error().code == codec_errc::too_long)
      return codec_failure(codec_errc::bad_syntax, path, what);
    return s.error();
  }
  if (!ok(*s))
    return codec_failure(codec_errc::bad_syntax, path, what);
  return s;
}

}  // namespace

result<std::string> message_id(const json& value, const std::string& path) {
  return syntax(value, path, is_message_id, "not a message id");
}

result<std::string> token(const json& value, const std::string& path) {
  return syntax(value, path, is_token, "not a token");
}

result<std::string> digest(const json& value, const std::string& path) {
  return syntax(value, path, is_digest, "not a digest");
}

result<address> address_value(const json& value, const std::string& path) {
  if (!value.is_string()) {
    return codec_failure(codec_errc::wrong_type, path,
                         std::string("string expected, got ") + value.type_name());
  }
  auto parsed = parse_address(value.get_ref<const json::string_t&>());
  if (!parsed)
    return codec_failure(parsed.error().code, path, parsed.error().message);
  return parsed;
}

result<std::string> host_name(const json& value, const std::string& path) {
  auto s = syntax(value, path, is_host_name, "not a host name");
  if (!s)
    return s;
  return to_lower(*s);
}

result<errc> error_code(const json& value, const std::string& path) {
  auto s = text(value, path, max_text);
  if (!s)
    return s.error();
  return result<errc>(boost::system::in_place_value, errc_from_string(*s).value_or(errc::internal));
}

result<const json::array_t*> array(const json& value, const std::string& path) {
  if (!value.is_array()) {
    return codec_failure(codec_errc::wrong_type, path,
                         std::string("list expected, got ") + value.type_name());
  }
  return &value.get_ref<const json::array_t&>();
}

result<const json*> object(const json& value, const std::string& path) {
  if (!value.is_object()) {
    return codec_failure(codec_errc::wrong_type, path,
                         std::string("object expected, got ") + value.type_name());
  }
  return &value;
}

result<std::vector<address>> address_list(const json& value, const std::string& path,
                                          bool recipients) {
  auto list = array(value, path);
  if (!list)
    return list.error();
  if (recipients && ((*list)->empty() || (*list)->size() > max_recipients)) {
    return codec_failure(codec_errc::bad_count, path, std::to_string((*list)->size()));
  }
  std::vector<address> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    auto a = address_value((**list)[i], join(path, i));
    if (!a)
      return a.error();
    if (recipients && !seen.insert(to_lower(a->to_string())).second) {
      return codec_failure(codec_errc::duplicate_value, join(path, i), a->to_string());
    }
    out.push_back(std::move(*a));
  }
  return out;
}

std::string join(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string join(const std::string& path, std::string_view name) {
  return path + "." + std::string(name);
}

result<std::uint64_t> request_id(const json& object) {
  return get(object, "id", {}, as_integer());
}

result<std::uint64_t> response_re(const json& object) {
  return get(object, "re", {}, as_integer());
}

result<std::uint64_t> ok_re(const json& object) {
  auto op = get(object, "op", {}, as_text());
  if (!op)
    return op.error();
  if (*op != "ok")
    return codec_failure(codec_errc::bad_syntax, "op", "\"ok\" expected");
  return response_re(object);
}

result<std::uint64_t> request_header(const json& object, std::string_view op) {
  auto name = get(object, "op", {}, as_text());
  if (!name)
    return name.error();
  if (*name != op)
    return codec_failure(codec_errc::unknown_op, "op", *name);
  return request_id(object);
}

}  // namespace im2k::proto::fields
