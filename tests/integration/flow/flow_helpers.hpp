// Small helpers shared by the flow tests: bounded waits on a testbed.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/testbed.hpp"

namespace im2k::test {

// Polls `done` every 100 ms until it is true or `timeout` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return done();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// rcpt -> state of one message, from `status`.
inline std::map<std::string, std::string> state_map(user_session& user, const std::string& msg) {
  std::map<std::string, std::string> out;
  for (auto& [rcpt, state] : user_session::states(user.status(msg))) {
    out[rcpt] = state;
  }
  return out;
}

// The recipient entry (rcpt, state, code, ...) of a status reply, or null.
inline nlohmann::json recipient_of(const reply& status, const std::string& rcpt) {
  if (status.ok && status.object.contains("recipients")) {
    for (const auto& r : status.object.at("recipients")) {
      if (r.value("rcpt", "") == rcpt) {
        return r;
      }
    }
  }
  return nullptr;
}

// Waits until every recipient in `rcpts` of `msg` is in `state`.
inline bool wait_for_state(user_session& user, const std::string& msg,
                           const std::vector<std::string>& rcpts, const std::string& state,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  return wait_until(
      [&] {
        auto states = state_map(user, msg);
        for (const auto& r : rcpts) {
          if (states[r] != state) {
            return false;
          }
        }
        return true;
      },
      timeout);
}

// How many copies of `msg` an IMS stored for `user`.
inline int copies_of(const testbed& bed, const std::string& domain, const std::string& msg,
                     const std::string& user) {
  int n = 0;
  for (const auto& c : stored_copies(bed.domain(domain).ims.state_dir)) {
    n += c.msg == msg && c.user == user ? 1 : 0;
  }
  return n;
}

}  // namespace im2k::test
