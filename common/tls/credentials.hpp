// The current TLS context of one listener or one kind of outgoing connection, replaceable at
// run time (SIGHUP) without touching established connections.
#pragma once

#include <atomic>
#include <string>

#include "common/tls/context.hpp"
#include "common/tls/settings.hpp"

namespace im2k::tls {

struct reload_result {
  std::string error;  // empty on success

  bool ok() const { return error.empty(); }
};

class credentials {
 public:
  // Builds the first context; throws std::runtime_error if it cannot (a start-up failure).
  credentials(tls_settings settings, side s, listener_kind kind);

  credentials(const credentials&) = delete;
  credentials& operator=(const credentials&) = delete;

  // The context for a new connection. A connection keeps its context alive (its SSL object
  // holds a reference to the SSL_CTX), so a reload never affects it.
  context_ptr current() const { return current_.load(); }

  // Rebuilds the context from the same files and swaps it in. On any failure (missing file,
  // bad key, key/certificate mismatch, unreadable CRL in require mode) the current context
  // stays, and the reason is logged and returned.
  reload_result reload();

  const tls_settings& settings() const { return settings_; }
  side which_side() const { return side_; }
  listener_kind kind() const { return kind_; }

 private:
  const tls_settings settings_;
  const side side_;
  const listener_kind kind_;
  std::atomic<context_ptr> current_;
};

}  // namespace im2k::tls
