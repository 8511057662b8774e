// The delivery step of lmtp mode ([I-3]): after a pull is stored in the IMS and before its ack,
// each recipient's stored copy is handed to LMTP (Dovecot). A 250 removes the IMS's copy
// (Dovecot's is the one of record, [I-5]); a 5xx makes the recipient refused, which the ack
// reports; a 4xx or no answer leaves the copy for the next attempt, and the pull is not acked.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "ims/lmtp_client.hpp"
#include "ims/store.hpp"

namespace im2k::ims {

// Why some copy is still in the IMS: retried with the pull's backoff.
struct handover_failure {
  std::string code;  // a wire code for the log and last_error: "internal"
  std::string why;
};

// Hands every pending copy of `job` to LMTP; nullopt when none is left in the IMS.
boost::asio::awaitable<std::optional<handover_failure>> hand_over(
    boost::asio::any_io_executor executor, const lmtp_settings& settings, mail_store& records,
    const std::filesystem::path& bodies_dir, const pull_job& job);

// The refusal an LMTP 5xx reply becomes in the ack ([I-4]).
proto::errc refusal_for(const lmtp_reply& reply);

}  // namespace im2k::ims
