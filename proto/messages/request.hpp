// Requests in general ([R-1], [R-4]): one parse that dispatches on "op" to the operation's own
// parser. Whether an operation is allowed on a listener ([R-5]) is the server's decision.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include <nlohmann/json.hpp>

#include "proto/codec_error.hpp"
#include "proto/messages/ack.hpp"
#include "proto/messages/auth.hpp"
#include "proto/messages/hello.hpp"
#include "proto/messages/mailbox.hpp"
#include "proto/messages/notify.hpp"
#include "proto/messages/pull.hpp"
#include "proto/messages/recall.hpp"
#include "proto/messages/sent.hpp"
#include "proto/messages/status.hpp"
#include "proto/messages/submit.hpp"

namespace im2k::proto {

using request = std::variant<hello_request, notify_request, pull_request, ack_request, auth_request,
                             submit_request, status_request, recall_request, list_request,
                             fetch_request, delete_request, sent_request>;

// unknown_op for an op this version does not know ([R-4]); the operation's own failures
// otherwise.
result<request> parse_request(const nlohmann::json& object);
nlohmann::json to_json(const request& request);
std::uint64_t request_id(const request& request);

// The request's id if the object has a valid one, so that a refused request can still be
// answered with its "re"; nullopt otherwise (answer with "re": null).
std::optional<std::uint64_t> peek_request_id(const nlohmann::json& object);

}  // namespace im2k::proto
