// The IMS's control operations on its pending pulls, served on the control socket:
//   {"op":"queue.list"}               pulls and acks not done, and held notifications
//   {"op":"queue.show","id":ID}       one of them with its recipients
//   {"op":"queue.retry","id":ID}      due now (a held one too); wakes the puller
//   {"op":"queue.remove","id":ID}     dropped as [P-14]: nothing is stored, no pull is made
// ID is the pull's row id as a decimal string (queue.list shows it). An unknown id is
// `not-found`; an id that is not a number is `bad-request`.
#pragma once

#include <cstddef>
#include <functional>

#include "common/control/control_server.hpp"
#include "ims/store.hpp"

namespace im2k::ims {

// How many pulls queue.list returns at most ("truncated": true beyond).
constexpr std::size_t queue_list_limit = 1000;

// `wake_puller` is called after a retry made a pull due.
void add_queue_operations(control::control_server& server, mail_store& store,
                          std::function<void()> wake_puller);

}  // namespace im2k::ims
