// The IMS's authorization policy, read from the `[policy]` table of its configuration:
// authentication proves who a peer is; this decides what that peer may do (issue 6).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace im2k::ims {

// When the IMS pulls an accepted notification: at once, or only when the recipient lists or
// fetches their mailbox (the entry is `held` until then, [M-2], [M-3]).
enum class pull_mode { eager, on_read };
std::string_view to_string(pull_mode mode);

// A token bucket's shape: `burst` tokens, refilled at `rate` tokens per `per`.
struct rate_limit {
  std::uint32_t rate = 0;
  std::chrono::seconds per{60};
  std::uint32_t burst = 0;
};

struct policy_settings {
  // Sender domains (S) and sending hosts (H), lower case. A non-empty allow list admits only
  // what it names; a deny list refuses what it names ([N-1] step 10, `policy`).
  std::vector<std::string> allow_domains;
  std::vector<std::string> deny_domains;
  std::vector<std::string> allow_hosts;
  std::vector<std::string> deny_hosts;
  // [N-1] step 8 and step 11; absent means unlimited.
  std::optional<rate_limit> per_address;
  std::optional<rate_limit> per_domain;
  // Recipients accepted from one notification (at most 100, [N-9]).
  std::size_t max_recipients = 100;
  // The default pull mode, and per sender domain exceptions.
  pull_mode pull = pull_mode::eager;
  std::vector<std::string> eager_senders;
  std::vector<std::string> on_read_senders;

  pull_mode pull_mode_for(std::string_view sender_domain) const;
};

}  // namespace im2k::ims
