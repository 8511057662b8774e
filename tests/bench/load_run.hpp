// The measured run: `messages` submissions from `concurrency` senders (coroutines on one
// io_context, each with its own authenticated submit connection), and pollers that read
// `status` on their own connections until every recipient of every message is final.
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
  std::vector<proto::address> recipients;  // of every message
  std::string to_field;                    // the To: header's value
  std::chrono::milliseconds poll_interval{50};
  std::size_t pollers = 1;
  std::size_t status_batch = 16;  // status requests per poller and round, oldest messages first
  std::function<void()> on_connected;  // every connection is open; the measured part starts
  int net = 0;  // the testbed's; source addresses are 127.<net>.200.x (senders), .201.x (pollers)
  std::chrono::steady_clock::time_point deadline;
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
  std::vector<std::string> msgs;  // the ids of the messages submitted
  bool timed_out = false;
  // Milliseconds: request written .. ok read; submit start .. `pulled` first seen by a poller;
  // submit start .. the server's `at` of the pulled state (whole seconds: a cross-check).
  std::vector<double> submit_ms;
  std::vector<double> stored_ms;
  std::vector<double> server_at_ms;
  // Seconds from the first submit start to the last submit answer and to the last `pulled` seen.
  double submit_seconds = 0;
  double to_last_pulled_seconds = 0;
};

boost::asio::awaitable<mc::outcome<load_result>> run_load(const user_endpoint& sender,
                                                          load_options options);

}  // namespace im2k::bench
