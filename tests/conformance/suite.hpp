// What every case gets: the target, the suite's certificates and fake servers, and helpers to
// open connections to the implementation under test.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "tests/conformance/certificates.hpp"
#include "tests/conformance/fake_ims.hpp"
#include "tests/conformance/fake_oms.hpp"
#include "tests/conformance/raw_peer.hpp"
#include "tests/conformance/report.hpp"
#include "tests/conformance/target.hpp"
#include "tests/conformance/user_client.hpp"

namespace im2k::conform {

// A message the OMS under test notified to the suite domain (OMS-role cases share it).
struct oms_message {
  std::string msg;
  std::string rcpt;
  received_notification notification;
};

struct suite_context {
  boost::asio::any_io_executor executor;
  const target& t;
  const certificates& certs;
  fake_oms& oms;
  fake_ims& ims;
  std::optional<std::uint64_t> ims_max_message_size;  // from the IMS's hello
  std::unique_ptr<user_client> user;                  // opened by the first OMS-role case
  std::optional<oms_message> delivered;               // the first message, once notified
  bool revocation_published = false;  // the IMS was given certs.revoked_crl ([C-8] case)

  // Towards the IMS notify listener, from the suite's OMS address, presenting `cert`.
  dial_settings to_ims(const cert_pair* cert) const;
  // Towards the OMS submit listener, as a user without a certificate.
  dial_settings to_submit() const;
  // Towards the OMS pull listener, from the suite's MX address, presenting `cert`.
  dial_settings to_oms(const cert_pair* cert) const;

  // A notify connection past a successful hello as oms.<suite>; null and `why` otherwise.
  boost::asio::awaitable<std::unique_ptr<raw_peer>> notify_connection(std::string& why);
  // A pull connection past a successful hello with `cert` and `host`; null and `why` otherwise.
  boost::asio::awaitable<std::unique_ptr<raw_peer>> pull_connection(const cert_pair& cert,
                                                                    const std::string& host,
                                                                    std::string& why);

  // A notify request for `rcpt` from `from` with valid fields (expires in a day).
  nlohmann::json notify_request(std::uint64_t id, const std::string& msg, const std::string& from,
                                const std::vector<std::string>& rcpt, const served_message& m);
  // The suite domain's sender address.
  std::string suite_sender() const { return "conform@" + t.suite_domain; }

  // A fresh message from the suite domain, registered with the fake OMS. The body's From: is
  // `from_header` (default: the suite sender); `digest_override` replaces the notified digest.
  std::pair<std::string, served_message> new_message(std::string from_header = {},
                                                     std::string digest_override = {});

  // The user client, opened on first use.
  boost::asio::awaitable<user_client*> user_session(std::string& why);
  // Submits a message from the OMS user to `rcpt` (in the suite domain) and waits for the OMS
  // under test to notify it to the suite's IMS.
  boost::asio::awaitable<std::optional<oms_message>> submit_and_wait(const std::string& rcpt,
                                                                     std::string& why);
};

// Waits (bounded, polling) until `done()` is true; false if it never was.
boost::asio::awaitable<bool> eventually(std::function<bool()> done,
                                        std::chrono::steady_clock::duration timeout);
// Sleeps (for "nothing happened meanwhile" checks).
boost::asio::awaitable<void> pause(std::chrono::steady_clock::duration d);

// Whether an error frame's `temporary` is what the error table gives its code ([E-3]); policy
// and quota-exceeded may be either ([E-4]).
bool temporary_as_table(const nlohmann::json& error);

std::vector<test_case> ims_cases();
std::vector<test_case> oms_cases();
std::vector<test_case> submit_cases();

}  // namespace im2k::conform
