// The IMS's decision on one notification, steps 4-12 of SPEC [N-1] (steps 1-3 ran at hello):
// a refusal of the whole notification, or one result per recipient, with every accepted result
// durable before it returns ([N-7]) and repeats answered from the record ([N-12]).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "common/dns/resolver.hpp"
#include "ims/policy.hpp"
#include "ims/store.hpp"
#include "proto/messages/notify.hpp"
#include "proto/messages/response.hpp"

namespace im2k::ims {

// [N-9]
inline constexpr std::size_t max_notify_recipients = 100;
// [N-10]: expires further ahead is taken as this far ahead.
inline constexpr std::int64_t max_hold_seconds = 30 * 24 * 3600;

struct notify_settings {
  std::string host;                  // ours
  std::vector<std::string> domains;  // served here, lower case
  std::uint64_t max_message_size = 10 * 1024 * 1024;
  // True when notifications from this sender domain are held until read (on-read, [N-16]).
  std::function<bool(std::string_view sender_domain)> hold;
  // Steps 8, 10, 11 and the recipients cap ([N-17]); the default refuses nothing.
  policy_settings policy{};
};

// Facts about the connection, proved at hello: H by the certificate, A among H's addresses.
struct notify_peer {
  std::string host;
  boost::asio::ip::address source;
};

using notify_outcome = std::variant<proto::notify_response, proto::error_response>;

class notify_handler {
 public:
  // `accepted` is called after a notification with at least one new acceptance is durable (the
  // puller's wake-up).
  notify_handler(notify_settings settings, dns::resolver& dns, mail_store& records,
                 std::function<void()> accepted = {});

  boost::asio::awaitable<notify_outcome> handle(const notify_peer& peer,
                                                const proto::notify_request& request,
                                                std::int64_t now);

 private:
  bool serves(const std::string& domain) const;

  notify_settings settings_;
  notify_policy policy_;
  dns::resolver& dns_;
  mail_store& records_;
  std::function<void()> accepted_;
};

}  // namespace im2k::ims
