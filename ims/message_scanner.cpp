#include "ims/message_scanner.hpp"

#include <utility>

#include "ims/headers.hpp"

namespace im2k::ims {

message_scanner::message_scanner(std::string prefix, std::string authserv_id,
                                 std::string sender_domain)
    : prefix_(std::move(prefix)),
      authserv_id_(std::move(authserv_id)),
      sender_domain_(std::move(sender_domain)) {}

void message_scanner::fail(proto::errc code, std::string reason) {
  if (!refusal_) {
    refusal_ = code;
    reason_ = std::move(reason);
  }
  in_header_ = false;
  header_.clear();
}

void message_scanner::feed(std::string_view chunk, std::string& out) {
  hash_.update(chunk);
  size_ += chunk.size();
  // [S-6] 1: no CR without LF after it, no LF without CR before it, no NUL.
  if (!refusal_) {
    for (const char c : chunk) {
      if (c == '\0') {
        fail(proto::errc::bad_request, "a NUL octet");
        break;
      }
      if (previous_cr_ != (c == '\n')) {
        fail(proto::errc::bad_request, previous_cr_ ? "a CR without LF" : "an LF without CR");
        break;
      }
      previous_cr_ = c == '\r';
    }
  }
  if (refusal_) {
    return;
  }
  if (!in_header_) {
    out.append(chunk);
    return;
  }
  // The header ends at the first CRLF CRLF, or at a CRLF at the very start (an empty section).
  const std::size_t before = header_.size();
  header_.append(chunk);
  const std::size_t search_from = before >= 3 ? before - 3 : 0;
  std::size_t end = std::string::npos;
  if (header_.size() >= 2 && header_.compare(0, 2, "\r\n") == 0) {
    end = 0;
  } else {
    const std::size_t found = header_.find("\r\n\r\n", search_from);
    if (found != std::string::npos) {
      end = found + 2;  // the section keeps its last CRLF
    }
  }
  if (end == std::string::npos) {
    if (header_.size() > max_header_section + 2) {
      fail(proto::errc::bad_request, "the header section is over 65536 octets");
    }
    return;
  }
  std::string rest = header_.substr(end + 2);
  header_.resize(end);
  end_of_header(out);
  if (!refusal_) {
    out.append(rest);
  }
}

void message_scanner::end_of_header(std::string& out) {
  in_header_ = false;
  auto verdict = check_header_section(header_, authserv_id_);
  header_.clear();
  if (verdict.refusal) {
    fail(*verdict.refusal, verdict.reason);
    return;
  }
  from_domain_ = verdict.from->domain;
  if (!proto::iequals(from_domain_, sender_domain_)) {
    fail(proto::errc::sender_not_owned,
         "the From: address is not in the sender domain " + sender_domain_);
    return;
  }
  out.append(prefix_);
  out.append(verdict.kept);
  out.append("\r\n");
}

scan_verdict message_scanner::finish() {
  if (!refusal_ && previous_cr_) {
    fail(proto::errc::bad_request, "a CR without LF");
  }
  if (!refusal_ && in_header_) {
    fail(proto::errc::bad_request, "no empty line after the header section");
  }
  scan_verdict v;
  v.digest = "sha256:" + crypto::to_hex(hash_.finish());
  v.size = size_;
  v.refusal = refusal_;
  v.reason = reason_;
  v.from_domain = from_domain_;
  return v;
}

}  // namespace im2k::ims
