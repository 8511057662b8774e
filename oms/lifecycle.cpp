#include "oms/lifecycle.hpp"

namespace im2k::oms {

bool is_final(rcpt_state state) {
  switch (state) {
    case rcpt_state::queued:
    case rcpt_state::notified:
    case rcpt_state::deferred:
      return false;
    case rcpt_state::pulled:
    case rcpt_state::rejected:
    case rcpt_state::recalled:
    case rcpt_state::expired:
      return true;
  }
  return true;
}

std::optional<rcpt_state> next_state(rcpt_state from, rcpt_event event, bool pull_served) {
  if (is_final(from)) {
    return std::nullopt;  // [L-3]
  }
  const bool waiting = from == rcpt_state::queued || from == rcpt_state::deferred;
  switch (event) {
    case rcpt_event::notify_accepted:
      return waiting ? std::optional(rcpt_state::notified) : std::nullopt;
    case rcpt_event::notify_rejected:
      return waiting ? std::optional(rcpt_state::rejected) : std::nullopt;
    case rcpt_event::notify_deferred:
      // [L-4]: nothing moves a notified recipient back to deferred.
      return waiting ? std::optional(rcpt_state::deferred) : std::nullopt;
    case rcpt_event::ack_stored:
      return rcpt_state::pulled;
    case rcpt_event::ack_refused:
      return rcpt_state::rejected;
    case rcpt_event::recall:
      if (waiting || (from == rcpt_state::notified && !pull_served)) {
        return rcpt_state::recalled;
      }
      return std::nullopt;
    case rcpt_event::expire:
      return rcpt_state::expired;
  }
  return std::nullopt;
}

}  // namespace im2k::oms
