// Counts how a listener answers the requests of one kind, without touching the handler:
//
//   auto handler = metrics::count_answers(
//       std::move(submit_handler), "im2k_submissions_total", "Submit requests, by answer.",
//       metrics::request_is<proto::submit_request>);
//
// Each selected request adds one to NAME{result="ok",code="none"} or
// NAME{result="error",code="<wire code>"} (a request left unanswered counts as error/internal,
// which is what the session then sends).
#pragma once

#include <functional>
#include <string>
#include <variant>

#include "common/net/session.hpp"

namespace im2k::metrics {

using request_filter = std::function<bool(const net::incoming_request&)>;

// A request_filter: requests of type T.
template <class T>
bool request_is(const net::incoming_request& request) {
  return std::holds_alternative<T>(request.request);
}

net::request_handler count_answers(net::request_handler inner, std::string name, std::string help,
                                   request_filter which);

}  // namespace im2k::metrics
