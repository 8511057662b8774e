// Builds the OpenSSL contexts of im2k: TLS 1.3 only, the listener's ALPN required, peer
// certificates verified against the configured anchors and CRLs, failures recorded per
// connection (see classify.hpp). SMTP submission (listener_kind::submission) is the exception
// of SPEC [W-3]: TLS 1.2 (forward-secret AEAD suites only) or 1.3, and no ALPN.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "common/tls/settings.hpp"

namespace im2k::tls {

using context_ptr = std::shared_ptr<boost::asio::ssl::context>;

// Which end of the connection the context serves.
enum class side { server, client };

struct context_result {
  context_ptr context;  // null on failure
  std::string error;    // why, naming the file, when context is null

  explicit operator bool() const { return context != nullptr; }
};

// A listener of `kind`: requires the client's ALPN to be alpn_of(kind); requires a client
// certificate on notify and pull, verifies one if presented on submit and mailbox (against
// user_ca_file only); the client certificate must allow clientAuth. cert_file and key_file are
// required.
context_result make_server_context(const tls_settings& settings, listener_kind kind);

// A client of a `kind` listener: offers alpn_of(kind), requires a server certificate allowing
// serverAuth (its name is checked per connection, see client_handshake). cert_file/key_file
// are required for notify and pull (peers), optional for the user listeners.
context_result make_client_context(const tls_settings& settings, listener_kind kind);

context_result make_context(const tls_settings& settings, side s, listener_kind kind);

}  // namespace im2k::tls
