// The resolver's answer cache: positive answers for the smallest TTL of their records, negative
// ones (NXDOMAIN, NODATA) for the RFC 2308 TTL of their SOA. Bounded: when full, the least
// recently used entry goes. Temporary failures are never stored (the caller decides).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/dns/resolver.hpp"
#include "common/dns/wire.hpp"

namespace im2k::dns {

// One answer before it is turned into typed records.
struct answer_set {
  status state = status::temporary;
  std::string detail;
  std::vector<wire::record> records;
};

class answer_cache {
 public:
  using clock = std::chrono::steady_clock;

  explicit answer_cache(std::size_t capacity) : capacity_(capacity) {}

  // The stored answer if there is one and it has not expired at `now`.
  std::optional<answer_set> find(std::uint16_t type, const std::string& name,
                                 clock::time_point now);
  // Keeps `answer` for `ttl` from `now` (nothing if ttl is zero or the capacity is zero).
  void store(std::uint16_t type, const std::string& name, answer_set answer,
             std::chrono::seconds ttl, clock::time_point now);

  std::size_t size() const { return entries_.size(); }

 private:
  struct entry {
    std::string key;
    answer_set answer;
    clock::time_point expires;
  };

  static std::string key_of(std::uint16_t type, const std::string& name);

  std::size_t capacity_;
  std::list<entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace im2k::dns
