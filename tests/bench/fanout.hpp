// The fan-out case: one message to many recipients in the first `domains` domains of the
// testbed (u000@D, u001@D, ..., added to each IMS first), and what it cost in notifications.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mc/failure.hpp"
#include "proto/syntax.hpp"
#include "tests/bench/add_users.hpp"
#include "tests/bench/testbed_state.hpp"

namespace im2k::bench {

struct fanout_plan {
  std::vector<std::string> domains;
  std::vector<proto::address> recipients;
  std::vector<user_to_add> users;
};

// `users_per_domain` in each domain, or, with `total` > 0, `total` recipients dealt round the
// domains (recipient i in domain i mod domains; with fewer recipients than domains, only the
// first `total` domains). Fails, saying how to bring one up, when the testbed has fewer than
// `domains` domains.
mc::outcome<fanout_plan> plan_fanout(const testbed_state& bed, std::size_t domains,
                                     std::size_t users_per_domain, std::size_t total);

// Per recipient domain, from the daemons' logs: the notifications the sending OMS logged
// (`notify.sent`: frames and recipients named) and those each IMS accepted (`notify.accepted`),
// for the messages `msgs`.
nlohmann::json count_notifications(const testbed_state& bed, const std::string& sender_domain,
                                   const std::vector<std::string>& msgs);

}  // namespace im2k::bench
