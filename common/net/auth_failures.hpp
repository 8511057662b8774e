// The window of failed `auth` attempts of a user listener ([U-4]): at most 10 failures per 15
// minutes per source address and per `user` value. Both user listeners (submit at the OMS,
// mailbox at the IMS) keep one. Not thread-safe: used on the daemon's single event loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

namespace im2k::net {

class auth_failures {
 public:
  static constexpr int max_failures = 10;
  static constexpr std::chrono::minutes window{15};
  static constexpr std::size_t max_keys = 100000;

  // True when `key` has had max_failures within the current window.
  bool over_limit(const std::string& key);
  void count(const std::string& key);

 private:
  struct entry {
    int failures = 0;
    std::chrono::steady_clock::time_point start;
  };

  std::map<std::string, entry> entries_;
};

}  // namespace im2k::net
