// The measured run: submissions from `concurrency` senders (coroutines on one io_context, each
// with its own authenticated submit connection), and pollers that read `status` on their own
// connections, sparsely, until every recipient of every message is final.
//
// Closed loop (rate 0): each sender submits the next message as soon as its previous one was
// answered. Open loop (rate > 0): message i is due at start + i / rate, by the clock, whatever
// the answers; a due message waits for a free sender, and its latencies count from when it was
// due, so a slow server shows as latency, not as a lower offered rate.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "mc/failure.hpp"
#include "proto/syntax.hpp"
#include "tests/bench/session.hpp"

namespace im2k::bench {

struct load_options {
  std::size_t messages = 1;
  std::size_t size = 1024;
  std::size_t concurrency = 1;
  double rate = 0;                         // messages a second offered; 0: closed loop
  std::vector<proto::address> recipients;  // of every message
  std::string to_field;                    // the To: header's value
  std::chrono::milliseconds poll_interval{100};
  std::size_t pollers = 1;
  std::size_t status_batch = 64;       // at most this many status requests per poller and round
  std::function<void()> on_connected;  // every connection is open; the measured part starts
  int net = 0;  // the testbed's; source addresses are 127.<net>.200.x (senders), .201.x (pollers)
  std::chrono::steady_clock::time_point deadline;
};

// A message the OMS accepted, and the moment its latencies count from (ms since the epoch):
// the submit's start (closed loop) or when it was due (open loop).
struct sent_message {
  std::string msg;
  double base_unix_ms = 0;
};

struct load_result {
  std::size_t message_size = 0;  // octets of each message as submitted
  std::size_t submitted = 0;     // answered ok
  std::size_t submit_failed = 0;
  std::map<std::string, std::size_t> submit_failures;  // by code, with one example message
  std::map<std::string, std::string> failure_examples;
  std::size_t recipients_pulled = 0;
  std::size_t recipients_other_final = 0;  // rejected, recalled or expired
  std::map<std::string, std::size_t> other_final_states;
  std::size_t recipients_unfinished = 0;  // not final when the run ended (deadline)
  std::size_t status_requests = 0;
  std::vector<sent_message> sent;
  bool timed_out = false;
  // Milliseconds: request written .. ok read; base .. `pulled` first seen by a poller; base ..
  // the server's `at` of the pulled state (whole seconds: a cross-check); open loop: how late
  // each submit started after it was due.
  std::vector<double> submit_ms;
  std::vector<double> pulled_seen_ms;
  std::vector<double> server_at_ms;
  std::vector<double> start_lag_ms;
  // The first base (ms since the epoch): the first submit's start, or the open loop's start.
  double first_base_unix_ms = 0;
  // Seconds from the first base to the last submit answer and to the last `pulled` seen.
  double submit_seconds = 0;
  double to_last_pulled_seconds = 0;
  // Open loop: messages made due before the deadline, and the most that waited for a sender.
  std::size_t dispatched = 0;
  std::size_t max_backlog = 0;
};

boost::asio::awaitable<mc::outcome<load_result>> run_load(const user_endpoint& sender,
                                                          load_options options);

}  // namespace im2k::bench
