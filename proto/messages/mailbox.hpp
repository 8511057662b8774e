// list, fetch and delete, on the IMS mailbox listener (SPEC.md "list, fetch, delete").
//
// SPEC.md names the message id of fetch and delete requests `id`, which is already the request
// id ([R-1], an integer): one object cannot carry both, and [F-9] forbids a second member of that
// name. Until SPEC.md settles it, these requests carry the message id as `msg`, the name every
// other operation uses for a message id (see mailbox_message_field).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/syntax.hpp"

namespace im2k::proto {

inline constexpr std::string_view mailbox_message_field = "msg";

enum class mailbox_state { stored, held };  // held: notified but not yet pulled
std::string_view to_string(mailbox_state state);

struct mailbox_entry {
  std::string id;  // [V-1], assigned by the IMS
  address from;
  std::uint64_t size = 0;
  std::uint64_t received = 0;  // unix seconds
  mailbox_state state = mailbox_state::stored;
  bool operator==(const mailbox_entry&) const = default;
};

struct list_request {
  std::uint64_t id = 0;
  std::optional<std::string> after;  // [M-2] paging: entries with an id greater than this
  bool operator==(const list_request&) const = default;
};

struct list_response {
  std::uint64_t re = 0;
  std::vector<mailbox_entry> messages;
  bool more = false;  // [M-2] entries follow the last one returned
  bool operator==(const list_response&) const = default;
};

struct fetch_request {
  std::uint64_t id = 0;
  std::string msg;  // [V-1], the mailbox message id
  bool operator==(const fetch_request&) const = default;
};

struct fetch_response {
  std::uint64_t re = 0;
  std::optional<std::uint64_t> size;
  std::uint64_t body_len = 0;  // the body follows ([F-5])
  bool operator==(const fetch_response&) const = default;
};

struct delete_request {
  std::uint64_t id = 0;
  std::string msg;  // [V-1], the mailbox message id
  bool operator==(const delete_request&) const = default;
};

struct delete_response {
  std::uint64_t re = 0;
  bool operator==(const delete_response&) const = default;
};

result<list_request> parse_list_request(const nlohmann::json& object);
result<list_response> parse_list_response(const nlohmann::json& object);
result<fetch_request> parse_fetch_request(const nlohmann::json& object);
result<fetch_response> parse_fetch_response(const nlohmann::json& object);
result<delete_request> parse_delete_request(const nlohmann::json& object);
result<delete_response> parse_delete_response(const nlohmann::json& object);
nlohmann::json to_json(const list_request& request);
nlohmann::json to_json(const list_response& response);
nlohmann::json to_json(const fetch_request& request);
nlohmann::json to_json(const fetch_response& response);
nlohmann::json to_json(const delete_request& request);
nlohmann::json to_json(const delete_response& response);

}  // namespace im2k::proto
