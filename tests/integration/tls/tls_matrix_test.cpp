// The TLS acceptance matrix (issue 4): a real listener on 127.0.0.1 with the notify ALPN, a
// required client certificate and CRLs in require mode, against good and bad clients; then a
// client against bad servers; then reload by SIGHUP. Every refusal is asserted by its named
// reason on the side that refuses.
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "common/tls/context.hpp"
#include "common/tls/credentials.hpp"
#include "common/tls/host_check.hpp"
#include "common/tls/reload_on_sighup.hpp"
#include "tests/integration/tls/loopback.hpp"
#include "tests/integration/tls/test_pki.hpp"

namespace im2k::tls::testing {
namespace {

constexpr const char* server_host = "ims.beta.test";
constexpr const char* client_host = "oms.alpha.test";

class TlsMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new test_pki;
    const std::string ca = pki_->ca_dir();
    auto& p = *pki_;
    p.run("issue " + ca + " server --dns " + std::string(server_host) + " --server");
    p.run("issue " + ca + " client --dns " + std::string(client_host) + ",mx.alpha.test --client");
    p.run("issue " + ca +
          " client-expired --dns oms.alpha.test --client --not-before -10d "
          "--not-after -1d");
    p.run("issue " + ca +
          " client-future --dns oms.alpha.test --client --not-before +1d "
          "--not-after +10d");
    p.run("issue " + ca + " client-revoked --dns oms.alpha.test --client");
    p.run("issue " + ca + " client-reload --dns oms.alpha.test --client");
    p.run("issue " + ca + " client-crl-off --dns oms.alpha.test --client");
    p.run("issue " + ca + " client-elsewhere --dns other.gamma.test --client");
    p.run("issue " + ca + " client-serveronly --dns oms.alpha.test --server");
    p.run("issue " + ca + " user-alice --email Alice@alpha.test --client");
    p.run("issue " + ca + " client-selfsigned --dns oms.alpha.test --client --self-signed");
    p.run("issue " + ca + " server-expired --dns " + std::string(server_host) +
          " --server --not-before -10d --not-after -1d");
    p.run("issue " + ca + " server-elsewhere --dns other.beta.test --server");
    p.run("issue " + ca + " server-wildcard --dns '*.beta.test' --server");
    p.run("issue " + ca + " server-revoked --dns " + std::string(server_host) + " --server");
    p.run("crl " + ca);
    p.run("crl " + ca + " --out " + p.path("stale-crl.pem") + " --next-update -1h");
    const std::string other = p.ca_dir("other-ca");
    p.run("init " + other);
    p.run("issue " + other + " client --dns oms.alpha.test --client");
    p.run("issue " + other + " server --dns " + std::string(server_host) + " --server");
  }

  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  static context_ptr server_context(const tls_settings& settings,
                                    listener_kind kind = listener_kind::notify) {
    context_result built = make_server_context(settings, kind);
    EXPECT_TRUE(built) << built.error;
    return built.context;
  }

  static context_ptr client_context(const tls_settings& settings,
                                    listener_kind kind = listener_kind::notify) {
    context_result built = make_client_context(settings, kind);
    EXPECT_TRUE(built) << built.error;
    return built.context;
  }

  // One connection: `client` against a listener with `server`; both sides' outcomes.
  void connect(context_ptr server, context_ptr client, listener_kind kind = listener_kind::notify,
               std::string host = server_host) {
    ASSERT_TRUE(server && client);
    server_ = {};
    client_ = {};
    net_.serve_one(std::move(server), kind, server_);
    net_.connect(std::move(client), std::move(host), kind, client_);
    ASSERT_TRUE(net_.run_until([this] { return server_.done && client_.done; }));
  }

  // The server refused the client with `reason`, and the client saw the refusal (at its
  // handshake, or with TLS 1.3 at its first read).
  void expect_server_refused(failure reason) {
    EXPECT_EQ(server_.handshake, reason) << to_string(server_.handshake);
    EXPECT_FALSE(client_.exchanged);
    EXPECT_TRUE(client_.handshake != failure::none || client_.read_failed);
  }

  // The client refused the server with `reason`.
  void expect_client_refused(failure reason) {
    EXPECT_EQ(client_.handshake, reason) << to_string(client_.handshake);
    EXPECT_FALSE(client_.exchanged);
    EXPECT_NE(server_.handshake, failure::none);
  }

  static tls_settings client_settings(const std::string& name, const std::string& ca = "ca") {
    return pki_->settings(name, ca);
  }

  static inline test_pki* pki_ = nullptr;
  loopback net_;
  server_side server_;
  client_side client_;
};

// --- the server verifying clients ---

TEST_F(TlsMatrix, GoodClientIsAcceptedAndExchangesData) {
  const auto before = tls_failures(failure::name_mismatch);
  connect(server_context(pki_->settings("server")), client_context(client_settings("client")));
  EXPECT_EQ(server_.handshake, failure::none);
  EXPECT_EQ(client_.handshake, failure::none);
  EXPECT_TRUE(client_.exchanged);
  ASSERT_TRUE(server_.stream);
  SSL* ssl = server_.stream->native_handle();
  EXPECT_EQ(SSL_version(ssl), TLS1_3_VERSION);
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(alpn), alpn_len), "im2k-notify/1");
  EXPECT_EQ(peer_dns_names(ssl), (std::vector<std::string>{client_host, "mx.alpha.test"}));
  EXPECT_EQ(check_peer_host(*server_.stream, listener_kind::notify, client_host), failure::none);
  EXPECT_EQ(check_peer_host(*server_.stream, listener_kind::notify, "MX.alpha.test"),
            failure::none);
  EXPECT_EQ(tls_failures(failure::name_mismatch), before);
  // The client sent SNI: the host it connected to.
  EXPECT_STREQ(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), server_host);
}

TEST_F(TlsMatrix, ExpiredClientIsRefusedAsExpired) {
  connect(server_context(pki_->settings("server")),
          client_context(client_settings("client-expired")));
  expect_server_refused(failure::expired);
  // The server's alert names the fault to the client too.
  EXPECT_EQ(client_.read_failure, failure::expired);
}

TEST_F(TlsMatrix, NotYetValidClientIsRefusedAsNotYetValid) {
  connect(server_context(pki_->settings("server")),
          client_context(client_settings("client-future")));
  expect_server_refused(failure::not_yet_valid);
}

TEST_F(TlsMatrix, RevokedClientIsRefusedAsRevokedAfterRevokeCrlAndReload) {
  credentials server(pki_->settings("server"), side::server, listener_kind::notify);
  const auto client = client_context(client_settings("client-revoked"));
  connect(server.current(), client);
  ASSERT_EQ(server_.handshake, failure::none);
  ASSERT_TRUE(client_.exchanged);

  pki_->run("revoke " + pki_->ca_dir() + " client-revoked");
  pki_->run("crl " + pki_->ca_dir());
  ASSERT_TRUE(server.reload().ok());
  const auto before = tls_failures(failure::revoked);
  connect(server.current(), client);
  expect_server_refused(failure::revoked);
  EXPECT_EQ(client_.read_failure, failure::revoked);
  EXPECT_EQ(tls_failures(failure::revoked), before + 1);
}

TEST_F(TlsMatrix, ClientFromAnUnknownCaIsRefusedAsUnknownCa) {
  connect(server_context(pki_->settings("server")),
          client_context(client_settings("client", "other-ca")));
  expect_server_refused(failure::unknown_ca);
}

TEST_F(TlsMatrix, SelfSignedClientIsRefusedAsUnknownCa) {
  connect(server_context(pki_->settings("server")),
          client_context(client_settings("client-selfsigned")));
  expect_server_refused(failure::unknown_ca);
}

TEST_F(TlsMatrix, ClientClaimingAHostItsCertificateDoesNotNameIsANameMismatch) {
  connect(server_context(pki_->settings("server")),
          client_context(client_settings("client-elsewhere")));
  // The certificate itself is valid; the name is checked against the claim in `hello`.
  ASSERT_EQ(server_.handshake, failure::none);
  ASSERT_TRUE(server_.stream);
  const auto before = tls_failures(failure::name_mismatch);
  EXPECT_EQ(check_peer_host(*server_.stream, listener_kind::notify, client_host),
            failure::name_mismatch);
  EXPECT_EQ(tls_failures(failure::name_mismatch), before + 1);
  EXPECT_EQ(check_peer_host(*server_.stream, listener_kind::notify, "other.gamma.test"),
            failure::none);
}

TEST_F(TlsMatrix, ServerOnlyCertificateUsedAsClientIsWrongUsage) {
  connect(server_context(pki_->settings("server")),
          client_context(client_settings("client-serveronly")));
  expect_server_refused(failure::wrong_usage);
}

TEST_F(TlsMatrix, ClientWithoutCertificateIsRefusedAsNoCertificate) {
  tls_settings anonymous = client_settings("client");
  anonymous.cert_file.clear();
  anonymous.key_file.clear();
  context_result built = make_client_context(anonymous, listener_kind::notify);
  EXPECT_FALSE(built) << "a peer client needs a certificate";
  // So build a user client (no certificate needed) and make it offer the notify ALPN.
  auto client = client_context(anonymous, listener_kind::submit);
  const std::string notify_wire = std::string(1, char(13)) + "im2k-notify/1";
  ASSERT_EQ(SSL_CTX_set_alpn_protos(client->native_handle(),
                                    reinterpret_cast<const unsigned char*>(notify_wire.data()),
                                    static_cast<unsigned int>(notify_wire.size())),
            0);
  connect(server_context(pki_->settings("server")), client);
  expect_server_refused(failure::no_certificate);
  EXPECT_EQ(client_.read_failure, failure::no_certificate);
}

TEST_F(TlsMatrix, Tls12OnlyClientIsRefusedAsProtocolVersion) {
  auto client = client_context(client_settings("client"));
  SSL_CTX_set_min_proto_version(client->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(client->native_handle(), TLS1_2_VERSION);
  connect(server_context(pki_->settings("server")), client);
  expect_server_refused(failure::protocol_version);
  EXPECT_EQ(client_.handshake, failure::protocol_version);
}

TEST_F(TlsMatrix, WrongAlpnIsRefusedAsAlpn) {
  // A pull client at the notify listener.
  connect(server_context(pki_->settings("server")),
          client_context(client_settings("client"), listener_kind::pull), listener_kind::pull);
  expect_server_refused(failure::alpn);
  EXPECT_EQ(client_.handshake, failure::alpn);
}

TEST_F(TlsMatrix, MissingAlpnIsRefusedAsAlpn) {
  auto client = client_context(client_settings("client"));
  ASSERT_EQ(SSL_CTX_set_alpn_protos(client->native_handle(), nullptr, 0), 0);
  connect(server_context(pki_->settings("server")), client);
  expect_server_refused(failure::alpn);
}

TEST_F(TlsMatrix, MissingCrlInRequireModeIsCrlMissing) {
  tls_settings settings = pki_->settings("server");
  settings.crl_files.clear();
  connect(server_context(settings), client_context(client_settings("client")));
  expect_server_refused(failure::crl_missing);
}

TEST_F(TlsMatrix, StaleCrlInRequireModeIsCrlMissing) {
  tls_settings settings = pki_->settings("server");
  settings.crl_files = {pki_->path("stale-crl.pem")};
  connect(server_context(settings), client_context(client_settings("client")));
  expect_server_refused(failure::crl_missing);
}

TEST_F(TlsMatrix, CrlOffSkipsRevocation) {
  pki_->run("revoke " + pki_->ca_dir() + " client-crl-off");
  pki_->run("crl " + pki_->ca_dir());
  tls_settings settings = pki_->settings("server");
  settings.crl = crl_mode::off;
  settings.crl_files.clear();
  connect(server_context(settings), client_context(client_settings("client-crl-off")));
  EXPECT_EQ(server_.handshake, failure::none);
  EXPECT_TRUE(client_.exchanged);
}

TEST_F(TlsMatrix, UserListenerAcceptsNoCertificateButVerifiesOnePresented) {
  tls_settings anonymous = client_settings("client");
  anonymous.cert_file.clear();
  anonymous.key_file.clear();
  tls_settings settings = pki_->settings("server");
  settings.user_ca_file = pki_->path("ca.pem");
  const auto server = server_context(settings, listener_kind::submit);
  connect(server, client_context(anonymous, listener_kind::submit), listener_kind::submit);
  EXPECT_EQ(server_.handshake, failure::none);
  EXPECT_TRUE(client_.exchanged);
  ASSERT_TRUE(server_.stream);
  EXPECT_EQ(SSL_get0_peer_certificate(server_.stream->native_handle()), nullptr);

  connect(server, client_context(client_settings("client-expired"), listener_kind::submit),
          listener_kind::submit);
  expect_server_refused(failure::expired);
}

TEST_F(TlsMatrix, UserListenerExposesTheEmailNamesOfAUserCertificate) {
  tls_settings settings = pki_->settings("server");
  settings.user_ca_file = pki_->path("ca.pem");
  connect(server_context(settings, listener_kind::submit),
          client_context(client_settings("user-alice"), listener_kind::submit),
          listener_kind::submit);
  EXPECT_EQ(server_.handshake, failure::none);
  ASSERT_TRUE(server_.stream);
  const SSL* ssl = server_.stream->native_handle();
  EXPECT_EQ(peer_email_names(ssl), std::vector<std::string>{"Alice@alpha.test"});
  EXPECT_TRUE(peer_dns_names(ssl).empty());
}

TEST_F(TlsMatrix, UserListenerWithoutUserAnchorsRefusesAPresentedCertificate) {
  // The peer anchors (ca_file) never vouch for a user ([C-11]).
  connect(server_context(pki_->settings("server"), listener_kind::submit),
          client_context(client_settings("user-alice"), listener_kind::submit),
          listener_kind::submit);
  expect_server_refused(failure::unknown_ca);
}

TEST_F(TlsMatrix, UserListenerTrustsOnlyTheUserAnchors) {
  tls_settings settings = pki_->settings("server");
  settings.user_ca_file = pki_->path("ca.pem", "other-ca");
  connect(server_context(settings, listener_kind::submit),
          client_context(client_settings("user-alice"), listener_kind::submit),
          listener_kind::submit);
  expect_server_refused(failure::unknown_ca);
}

// --- the client verifying servers ---

TEST_F(TlsMatrix, ExpiredServerIsRefusedAsExpired) {
  connect(server_context(pki_->settings("server-expired")),
          client_context(client_settings("client")));
  expect_client_refused(failure::expired);
}

TEST_F(TlsMatrix, ServerNotNamingTheHostIsRefusedAsNameMismatch) {
  connect(server_context(pki_->settings("server-elsewhere")),
          client_context(client_settings("client")));
  expect_client_refused(failure::name_mismatch);
}

TEST_F(TlsMatrix, WildcardServerCertificateCoversExactlyOneLabel) {
  const auto server = server_context(pki_->settings("server-wildcard"));
  const auto client = client_context(client_settings("client"));
  connect(server, client, listener_kind::notify, "ims.beta.test");
  EXPECT_EQ(client_.handshake, failure::none);
  EXPECT_TRUE(client_.exchanged);
  connect(server, client, listener_kind::notify, "a.ims.beta.test");
  expect_client_refused(failure::name_mismatch);
  connect(server, client, listener_kind::notify, "beta.test");
  expect_client_refused(failure::name_mismatch);
}

TEST_F(TlsMatrix, ServerFromAnUnknownCaIsRefusedAsUnknownCa) {
  connect(server_context(pki_->settings("server", "other-ca")),
          client_context(client_settings("client")));
  expect_client_refused(failure::unknown_ca);
}

TEST_F(TlsMatrix, RevokedServerIsRefusedAsRevoked) {
  pki_->run("revoke " + pki_->ca_dir() + " server-revoked");
  pki_->run("crl " + pki_->ca_dir());
  connect(server_context(pki_->settings("server-revoked")),
          client_context(client_settings("client")));
  expect_client_refused(failure::revoked);
}

TEST_F(TlsMatrix, ServerSelectingNoAlpnIsRefusedAsAlpn) {
  auto server = server_context(pki_->settings("server"));
  SSL_CTX_set_alpn_select_cb(server->native_handle(), nullptr, nullptr);
  connect(server, client_context(client_settings("client")));
  EXPECT_EQ(client_.handshake, failure::alpn);
  EXPECT_FALSE(client_.exchanged);
}

// --- reload ---

TEST_F(TlsMatrix, SighupReloadRefusesARevokedCertificateAndKeepsEstablishedConnections) {
  auto server =
      std::make_shared<credentials>(pki_->settings("server"), side::server, listener_kind::notify);
  reload_on_sighup reloader(net_.io(), {server});
  const auto client = client_context(client_settings("client-reload"));

  connect(server->current(), client);
  ASSERT_EQ(server_.handshake, failure::none);
  ASSERT_TRUE(client_.exchanged);
  client_side established = client_;
  server_side established_server = server_;

  pki_->run("revoke " + pki_->ca_dir() + " client-reload");
  pki_->run("crl " + pki_->ca_dir());
  const context_ptr old_context = server->current();
  ASSERT_EQ(std::raise(SIGHUP), 0);
  ASSERT_TRUE(net_.run_until([&] { return server->current() != old_context; }));

  connect(server->current(), client);
  expect_server_refused(failure::revoked);

  bool ok = false;
  bool done = false;
  net_.exchange(established, ok, done);
  ASSERT_TRUE(net_.run_until([&] { return done; }));
  EXPECT_TRUE(ok) << "the connection established before the reload keeps working";
}

}  // namespace
}  // namespace im2k::tls::testing
