#include "common/tls/settings.hpp"

namespace im2k::tls {

std::string_view alpn_of(listener_kind kind) {
  switch (kind) {
    case listener_kind::notify:
      return "im2k-notify/1";
    case listener_kind::pull:
      return "im2k-pull/1";
    case listener_kind::submit:
      return "im2k-submit/1";
    case listener_kind::mailbox:
      return "im2k-mailbox/1";
    case listener_kind::submission:
      return "";
  }
  return "";
}

bool requires_peer_certificate(listener_kind kind) {
  return kind == listener_kind::notify || kind == listener_kind::pull;
}

bool is_im2k_listener(listener_kind kind) {
  return kind != listener_kind::submission;
}

std::string_view to_string(listener_kind kind) {
  switch (kind) {
    case listener_kind::notify:
      return "notify";
    case listener_kind::pull:
      return "pull";
    case listener_kind::submit:
      return "submit";
    case listener_kind::mailbox:
      return "mailbox";
    case listener_kind::submission:
      return "submission";
  }
  return "unknown";
}

}  // namespace im2k::tls
