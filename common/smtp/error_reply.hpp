// The one SMTP reply of each im2k error code (proto/SPEC.md [W-9]), so that a refusal reads the
// same over SMTP as over the im2k wire, whichever listener gives it.
#pragma once

#include <string>

#include "common/smtp/reply.hpp"
#include "proto/error.hpp"

namespace im2k::smtp {

// The reply for `code` with `text` as its only line.
reply reply_for(proto::errc code, std::string text);

}  // namespace im2k::smtp
