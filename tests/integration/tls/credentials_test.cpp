// Building contexts and reloading them: a failed reload keeps the previous context.
#include "common/tls/credentials.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/integration/tls/test_pki.hpp"

namespace im2k::tls::testing {
namespace {

namespace fs = std::filesystem;

class TlsCredentials : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new test_pki;
    pki_->run("issue " + pki_->ca_dir() + " server --dns ims.beta.test --server");
    pki_->run("issue " + pki_->ca_dir() + " other --dns other.beta.test --server");
    pki_->run("crl " + pki_->ca_dir());
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  // A private copy of the server's files, so that a test can break them.
  void SetUp() override {
    work_ = pki_->dir() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(work_);
    for (const char* file : {"server.pem", "server.key", "other.key", "crl.pem"}) {
      fs::copy_file(pki_->path(file), work_ / file, fs::copy_options::overwrite_existing);
    }
    settings_ = pki_->settings("server");
    settings_.cert_file = (work_ / "server.pem").string();
    settings_.key_file = (work_ / "server.key").string();
    settings_.crl_files = {(work_ / "crl.pem").string()};
  }

  static void write(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::trunc) << text;
  }

  static inline test_pki* pki_ = nullptr;
  fs::path work_;
  tls_settings settings_;
};

TEST_F(TlsCredentials, ReloadSwapsInANewContext) {
  credentials holder(settings_, side::server, listener_kind::notify);
  const context_ptr first = holder.current();
  ASSERT_TRUE(first);
  EXPECT_TRUE(holder.reload().ok());
  EXPECT_NE(holder.current(), first);
}

TEST_F(TlsCredentials, MissingKeyFileKeepsTheOldContext) {
  credentials holder(settings_, side::server, listener_kind::notify);
  const context_ptr first = holder.current();
  fs::remove(work_ / "server.key");
  const reload_result result = holder.reload();
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("server.key"), std::string::npos) << result.error;
  EXPECT_EQ(holder.current(), first);
}

TEST_F(TlsCredentials, KeyNotMatchingTheCertificateKeepsTheOldContext) {
  credentials holder(settings_, side::server, listener_kind::notify);
  const context_ptr first = holder.current();
  fs::copy_file(work_ / "other.key", work_ / "server.key", fs::copy_options::overwrite_existing);
  const reload_result result = holder.reload();
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("mismatch"), std::string::npos) << result.error;
  EXPECT_EQ(holder.current(), first);
}

TEST_F(TlsCredentials, BadKeyKeepsTheOldContext) {
  credentials holder(settings_, side::server, listener_kind::notify);
  const context_ptr first = holder.current();
  write(work_ / "server.key",
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
  EXPECT_FALSE(holder.reload().ok());
  EXPECT_EQ(holder.current(), first);
}

TEST_F(TlsCredentials, UnreadableCrlInRequireModeKeepsTheOldContext) {
  credentials holder(settings_, side::server, listener_kind::notify);
  const context_ptr first = holder.current();
  write(work_ / "crl.pem", "garbage\n");
  reload_result result = holder.reload();
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("crl.pem"), std::string::npos) << result.error;
  EXPECT_EQ(holder.current(), first);

  fs::remove(work_ / "crl.pem");
  EXPECT_FALSE(holder.reload().ok());
  EXPECT_EQ(holder.current(), first);
}

TEST_F(TlsCredentials, CrlFilesAreIgnoredWhenCrlIsOff) {
  settings_.crl = crl_mode::off;
  write(work_ / "crl.pem", "garbage\n");
  credentials holder(settings_, side::server, listener_kind::notify);
  EXPECT_TRUE(holder.current());
}

TEST_F(TlsCredentials, StartUpFailureThrows) {
  settings_.cert_file = (work_ / "missing.pem").string();
  EXPECT_THROW(credentials(settings_, side::server, listener_kind::notify), std::runtime_error);
}

TEST_F(TlsCredentials, ServerAndPeerClientNeedACertificateUserClientDoesNot) {
  tls_settings anonymous = settings_;
  anonymous.cert_file.clear();
  anonymous.key_file.clear();
  EXPECT_FALSE(make_server_context(anonymous, listener_kind::submit));
  EXPECT_FALSE(make_client_context(anonymous, listener_kind::pull));
  EXPECT_FALSE(make_client_context(anonymous, listener_kind::notify));
  EXPECT_TRUE(make_client_context(anonymous, listener_kind::mailbox));
}

TEST_F(TlsCredentials, MissingTrustAnchorsFail) {
  settings_.ca_file = (work_ / "no-such-ca.pem").string();
  EXPECT_FALSE(make_server_context(settings_, listener_kind::notify));
  settings_.ca_file.clear();
  settings_.ca_dir = (work_ / "no-such-dir").string();
  EXPECT_FALSE(make_server_context(settings_, listener_kind::notify));
}

TEST_F(TlsCredentials, ContextsAreTls13Only) {
  context_result built = make_server_context(settings_, listener_kind::notify);
  ASSERT_TRUE(built) << built.error;
  EXPECT_EQ(SSL_CTX_get_min_proto_version(built.context->native_handle()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(built.context->native_handle()), TLS1_3_VERSION);
}

}  // namespace
}  // namespace im2k::tls::testing
