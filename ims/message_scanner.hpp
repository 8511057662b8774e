// Checks a pulled message while it streams in ([F-11]: never whole in memory) and produces the
// stored copy: the trace fields, the header section without forged Authentication-Results
// fields, and the rest of the octets unchanged ([P-13]). It hashes every pulled octet for the
// digest check of [P-10] and applies the line rules of [S-6] to the whole message.
//
//   message_scanner scan(prefix, "mx.beta.test", "alpha.test");
//   for each chunk: scan.feed(chunk, out); write out;
//   auto verdict = scan.finish();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto/sha256.hpp"
#include "proto/error.hpp"

namespace im2k::ims {

struct scan_verdict {
  std::string digest;      // "sha256:<hex>" of the pulled octets
  std::uint64_t size = 0;  // pulled octets
  // bad_request ([S-6]) or sender_not_owned ([P-11]); none when the message may be stored.
  std::optional<proto::errc> refusal;
  std::string reason;
  std::string from_domain;  // of the From: address, when there is one
};

class message_scanner {
 public:
  // `prefix`: the trace fields to put first; `authserv_id`: our host name; `sender_domain`: S.
  message_scanner(std::string prefix, std::string authserv_id, std::string sender_domain);

  // Takes the next pulled octets and appends to `out` what the stored copy gets for them
  // (nothing while the header section is being read, nothing after a refusal).
  void feed(std::string_view chunk, std::string& out);

  // After the last octet.
  scan_verdict finish();

 private:
  void fail(proto::errc code, std::string reason);
  void end_of_header(std::string& out);

  std::string prefix_;
  std::string authserv_id_;
  std::string sender_domain_;
  crypto::sha256 hash_;
  std::uint64_t size_ = 0;
  bool previous_cr_ = false;
  bool in_header_ = true;
  std::string header_;  // the header section so far, bounded by max_header_section + 4
  std::optional<proto::errc> refusal_;
  std::string reason_;
  std::string from_domain_;
};

}  // namespace im2k::ims
