// The OMS's control operations on its queue, served on the control socket:
//   {"op":"queue.list"}               messages with a non-final recipient
//   {"op":"queue.show","id":MSG}      one message and every recipient
//   {"op":"queue.retry","id":MSG}     its queued and deferred recipients due now
//   {"op":"queue.remove","id":MSG}    the operator withdraws it (a recall, [Q-5])
// An unknown id is `not-found`; an id that is not a message id ([V-1]) is `bad-request`.
#pragma once

#include <cstddef>
#include <functional>

#include "common/control/control_server.hpp"
#include "oms/spool.hpp"

namespace im2k::oms {

// How many messages queue.list returns at most ("truncated": true beyond).
constexpr std::size_t queue_list_limit = 1000;

// `wake_notifier` is called after a retry made recipients due.
void add_queue_operations(control::control_server& server, spool& spool,
                          std::function<void()> wake_notifier);

}  // namespace im2k::oms
