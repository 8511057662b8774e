// The per-recipient lifecycle of SPEC.md [L-1], [L-2], [L-3] in one place: every state change
// of the spool asks next_state() first, and a change it refuses does not happen.
#pragma once

#include <optional>

#include "proto/messages/status.hpp"

namespace im2k::oms {

using proto::rcpt_state;

enum class rcpt_event {
  notify_accepted,  // the IMS's notify result: accepted
  notify_rejected,  // a permanent refusal (result, error, [D-3], [D-4])
  notify_deferred,  // a temporary refusal or a failure without a response ([L-6])
  ack_stored,       // the IMS's ack lists the recipient in stored
  ack_refused,      // ... in refused
  recall,           // the sender's recall ([Q-5])
  expire,           // expires passed ([L-9])
};

// True for pulled, rejected, recalled, expired.
bool is_final(rcpt_state state);

// The state after `event`, or nullopt when [L-2] has no such transition (the event is then
// ignored, [L-3]). `pull_served`: a pull of the recipient's domain was served, which stops a
// recall of a notified recipient ([Q-5]).
std::optional<rcpt_state> next_state(rcpt_state from, rcpt_event event, bool pull_served = false);

// What a pull of (msg, R) answers once its token matched ([P-8]).
enum class pull_decision { serve, recalled, expired, not_found };

// `states`: the recipients of R; `expired_by_time`: expires has passed.
template <class Range>
pull_decision decide_pull(const Range& states, bool expired_by_time) {
  bool any_recalled = false;
  bool any_expired = expired_by_time;
  for (rcpt_state s : states) {
    if (!is_final(s) && !expired_by_time) {
      return pull_decision::serve;
    }
    any_recalled = any_recalled || s == rcpt_state::recalled;
    any_expired = any_expired || s == rcpt_state::expired;
  }
  if (any_recalled) {
    return pull_decision::recalled;
  }
  return any_expired ? pull_decision::expired : pull_decision::not_found;
}

}  // namespace im2k::oms
