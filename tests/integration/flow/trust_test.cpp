// Issue 5 acceptance, the trust rules: each broken once, the refusal and its code asserted, and
// nothing stored. Real daemons on a testbed of their own --net each; the broken peers are
// either a real OMS under a changed DNS record or a raw connection (peer_session) made with a
// certificate of the testbed CA from a chosen source address.
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "common/crypto/sha256.hpp"
#include "common/net/listener.hpp"
#include "common/tls/credentials.hpp"
#include "proto/syntax.hpp"
#include "tests/integration/flow/flow_helpers.hpp"
#include "tests/support/testbed.hpp"
#include "tests/support/udp_black_hole.hpp"

namespace im2k::test {
namespace {

std::string addr(int net, int k, int host) {
  return "127." + std::to_string(net) + "." + std::to_string(k) + "." + std::to_string(host);
}

// Rows an IMS recorded for a message: notifications and mailbox entries.
std::size_t ims_rows(const testbed& bed, const std::string& domain, const std::string& msg) {
  const auto db = bed.domain(domain).ims.state_dir / "ims.db";
  return query_database(db, "SELECT msg FROM notifications WHERE msg = '" + msg + "'").size() +
         query_database(db, "SELECT msg FROM mailbox WHERE msg = '" + msg + "'").size();
}

nlohmann::json notify_request(const std::string& msg, const std::string& from,
                              const std::vector<std::string>& rcpt) {
  return {{"op", "notify"},
          {"msg", msg},
          {"from", from},
          {"rcpt", rcpt},
          {"size", 100},
          {"digest", "sha256:" + std::string(64, 'a')},
          {"token", proto::new_token()},
          {"expires", static_cast<std::int64_t>(std::time(nullptr)) + 3600}};
}

peer_options notify_peer(const testbed& bed, const std::string& rcpt_domain,
                         const std::string& cert_host, const std::string& source,
                         const std::string& hello_host) {
  const auto& ims = bed.domain(rcpt_domain).ims;
  const auto dir = bed.ca_dir();
  return peer_options{
      ims.host, ims.address, 4650, false, dir / (cert_host + ".pem"), dir / (cert_host + ".key"),
      source,   hello_host};
}

// ---- SPF results other than pass, through the real OMS of gamma.test ----

struct spf_case {
  const char* name;
  int net;
  const char* record;  // %s: an address no server uses; "none": no record
};

// For test names and ctest's listing.
void PrintTo(const spf_case& c, std::ostream* os) {
  *os << c.name << " (" << c.record << ")";
}

class FlowSpf : public testing::TestWithParam<spf_case> {};

// [D-6] [D-7] [N-1] step 9, [N-4] [L-2] [L-5] [L-10]
TEST_P(FlowSpf, NotificationFromAnAddressSpfDoesNotDesignateIsRefused) {
  const auto& c = GetParam();
  std::string record = c.record;
  if (const auto at = record.find("%s"); at != std::string::npos) {
    record.replace(at, 2, addr(c.net, 9, 9));
  }
  testbed bed({.net = c.net, .extra_domains = {"gamma.test"}, .spf = {"gamma.test=" + record}});
  user_session dave(bed, "dave@gamma.test");
  const auto submitted =
      dave.submit({"bob@beta.test"}, make_message("dave@gamma.test", {"bob@beta.test"}, c.name));
  ASSERT_TRUE(submitted.ok) << submitted.code << ": " << submitted.message;
  const std::string msg = submitted.object.at("msg").get<std::string>();

  ASSERT_TRUE(wait_for_state(dave, msg, {"bob@beta.test"}, "rejected"))
      << dave.status(msg).object.dump();
  const auto r = recipient_of(dave.status(msg), "bob@beta.test");
  EXPECT_EQ(r.value("code", ""), "sender-not-designated") << r.dump();

  const auto ims = bed.events("mx.beta.test");
  EXPECT_GE(count_events(ims, "notify.refused", {{"code", "sender-not-designated"}}), 1u);
  EXPECT_EQ(count_events(ims, "notify.accepted"), 0u);
  EXPECT_EQ(ims_rows(bed, "beta.test", msg), 0u);
  EXPECT_EQ(count_events(bed.events("oms.gamma.test"), "pull.served"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Results, FlowSpf,
                         testing::Values(spf_case{"fail", 211, "v=spf1 ip4:%s -all"},
                                         spf_case{"softfail", 212, "v=spf1 ip4:%s ~all"},
                                         spf_case{"neutral", 213, "v=spf1 ip4:%s ?all"},
                                         spf_case{"none", 214, "none"}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- certificates and addresses, through raw notify connections ----

// [C-6] [H-5] [N-1] step 2, [N-3]
TEST(FlowTrust, CertificateNamingAHostOtherThanTheOneConnectingIsRefused) {
  const int net = 215;
  testbed bed({.net = net});
  // Control: alpha.test's own OMS address, certificate and name pass hello.
  peer_session good(
      bed, notify_peer(bed, "beta.test", "oms.alpha.test", addr(net, 1, 1), "oms.alpha.test"));
  ASSERT_TRUE(good.opened()) << good.refusal().code << " " << good.refusal().message;

  // From alpha.test's designated address, saying oms.alpha.test, with beta.test's certificate.
  peer_session bad(
      bed, notify_peer(bed, "beta.test", "oms.beta.test", addr(net, 1, 1), "oms.alpha.test"));
  ASSERT_FALSE(bad.opened());
  EXPECT_EQ(bad.refusal().code, "cert-name-mismatch") << bad.refusal().message;
  EXPECT_FALSE(bad.refusal().temporary);

  // The right certificate and name, from an address that is not the host's.
  peer_session moved(
      bed, notify_peer(bed, "beta.test", "oms.alpha.test", addr(net, 7, 7), "oms.alpha.test"));
  ASSERT_FALSE(moved.opened());
  EXPECT_EQ(moved.refusal().code, "sender-not-designated") << moved.refusal().message;

  const auto ims = bed.events("mx.beta.test");
  EXPECT_GE(count_events(ims, "hello.refused"), 1u);
  EXPECT_TRUE(stored_copies(bed.domain("beta.test").ims.state_dir).empty());
}

// [N-1] steps 3 and 9, [N-3] [N-4] [D-7]
TEST(FlowTrust, DesignatedAddressWithACertificateForAnotherDomainsHostIsRefused) {
  const int net = 216;
  testbed bed({.net = net});
  const std::string msg = proto::new_message_id();
  // alpha.test designates 127.N.1.1; the certificate (and hello) are beta.test's OMS: the
  // address is not one of oms.beta.test's, so hello is refused.
  peer_session at_hello(
      bed, notify_peer(bed, "alpha.test", "oms.beta.test", addr(net, 1, 1), "oms.beta.test"));
  ASSERT_FALSE(at_hello.opened());
  EXPECT_EQ(at_hello.refusal().code, "sender-not-designated") << at_hello.refusal().message;

  // beta.test's OMS from its own address, claiming a sender of alpha.test: SPF fails.
  peer_session beta(
      bed, notify_peer(bed, "beta.test", "oms.beta.test", addr(net, 2, 1), "oms.beta.test"));
  ASSERT_TRUE(beta.opened()) << beta.refusal().code << " " << beta.refusal().message;
  const auto refused = beta.request(notify_request(msg, "alice@alpha.test", {"bob@beta.test"}));
  ASSERT_FALSE(refused.ok) << refused.object.dump();
  EXPECT_EQ(refused.code, "sender-not-designated") << refused.message;
  EXPECT_FALSE(refused.temporary);
  // Control on the same connection: its own domain's sender passes every check.
  const auto own =
      beta.request(notify_request(proto::new_message_id(), "bob@beta.test", {"carol@beta.test"}));
  ASSERT_TRUE(own.ok) << own.code << " " << own.message;
  EXPECT_EQ(own.object.at("results").at(0).value("status", ""), "accepted") << own.object.dump();

  EXPECT_EQ(ims_rows(bed, "beta.test", msg), 0u);
  EXPECT_EQ(ims_rows(bed, "alpha.test", msg), 0u);
}

// [D-7] [D-9] [N-1] step 9, [L-2] [L-8]: SPF that cannot finish (an include whose look-up
// goes to a server that never answers) is refused as temporary, retried, and delivered once DNS
// is fixed.
TEST(FlowTrust, SpfTimeoutIsRefusedAsTemporaryAndDeliveredOnceDnsIsFixed) {
  const int net = 217;
  udp_black_hole hole;
  testbed bed({.net = net,
               .extra_domains = {"gamma.test"},
               .spf = {"gamma.test=v=spf1 include:spf.slow.test -all"},
               .forwards = {"slow.test.=" + std::to_string(hole.port())}});
  user_session dave(bed, "dave@gamma.test");
  const auto submitted = dave.submit(
      {"bob@beta.test"}, make_message("dave@gamma.test", {"bob@beta.test"}, "spf timeout"));
  ASSERT_TRUE(submitted.ok) << submitted.code << ": " << submitted.message;
  const std::string msg = submitted.object.at("msg").get<std::string>();

  ASSERT_TRUE(wait_until(
      [&] {
        const auto r = recipient_of(dave.status(msg), "bob@beta.test");
        return r.is_object() && r.value("state", "") == "deferred" &&
               r.value("code", "") == "dns-temporary";
      },
      std::chrono::seconds(120)))
      << dave.status(msg).object.dump();
  EXPECT_GE(count_events(bed.events("mx.beta.test"), "notify.refused", {{"code", "dns-temporary"}}),
            1u);
  EXPECT_EQ(ims_rows(bed, "beta.test", msg), 0u);

  bed.set_spf("gamma.test", "v=spf1 ip4:" + addr(net, 3, 1) + " -all");
  ASSERT_TRUE(wait_for_state(dave, msg, {"bob@beta.test"}, "pulled", std::chrono::seconds(120)))
      << dave.status(msg).object.dump();
  EXPECT_EQ(copies_of(bed, "beta.test", msg, "bob@beta.test"), 1);
}

// ---- pulls, through raw pull connections to the real OMS ----

// [P-6] [P-7] [P-8]
TEST(FlowTrust, PullWithAWrongTokenOrByAnotherDomainsImsIsNotFound) {
  const int net = 218;
  testbed bed({.net = net});
  bed.stop("mx.beta.test");  // so that the message waits, unpulled
  user_session alice(bed, "alice@alpha.test");
  const std::string text = make_message("alice@alpha.test", {"bob@beta.test"}, "pull me");
  const auto submitted = alice.submit({"bob@beta.test"}, text);
  ASSERT_TRUE(submitted.ok) << submitted.code;
  const std::string msg = submitted.object.at("msg").get<std::string>();
  const auto tokens = query_database(
      bed.domain("alpha.test").oms.state_dir / "oms.db",
      "SELECT token FROM domains WHERE msg = '" + msg + "' AND domain = 'beta.test'");
  ASSERT_EQ(tokens.size(), 1u);
  const std::string token = tokens.at(0).at(0);
  const auto& oms = bed.domain("alpha.test").oms;
  const auto pull_peer = [&](const std::string& cert_host) {
    return peer_options{oms.host,
                        oms.address,
                        4652,
                        true,
                        bed.ca_dir() / (cert_host + ".pem"),
                        bed.ca_dir() / (cert_host + ".key"),
                        "",
                        cert_host};
  };

  peer_session beta(bed, pull_peer("mx.beta.test"));
  ASSERT_TRUE(beta.opened()) << beta.refusal().code << " " << beta.refusal().message;
  const auto wrong = beta.pull(msg, proto::new_token(), "beta.test", nullptr);
  EXPECT_EQ(wrong.code, "not-found") << wrong.object.dump();
  const auto other_domain = beta.pull(msg, token, "alpha.test", nullptr);
  EXPECT_EQ(other_domain.code, "not-found") << other_domain.object.dump();

  peer_session alpha(bed, pull_peer("mx.alpha.test"));
  ASSERT_TRUE(alpha.opened()) << alpha.refusal().code << " " << alpha.refusal().message;
  const auto stolen = alpha.pull(msg, token, "beta.test", nullptr);
  EXPECT_EQ(stolen.code, "not-found") << stolen.object.dump();
  EXPECT_EQ(stolen.message, wrong.message);  // [P-8]: the same message, nothing to probe

  // Control: beta.test's MX host with the right token gets the message, unchanged.
  std::string body;
  const auto right = beta.pull(msg, token, "beta.test", &body);
  ASSERT_TRUE(right.ok) << right.code << " " << right.message;
  EXPECT_EQ(body, text);

  EXPECT_EQ(count_events(bed.events("oms.alpha.test"), "pull.refused", {{"msg", msg}}), 3u);
  EXPECT_TRUE(stored_copies(bed.domain("alpha.test").ims.state_dir).empty());
}

// ---- From: alignment ----

// [S-1] steps 3 and 6, [S-2] [S-7]
TEST(FlowTrust, SubmissionWhoseFromIsNotTheUsersIsRefusedAtTheOms) {
  testbed bed({.net = 219});
  user_session alice(bed, "alice@alpha.test");
  const auto forged = alice.submit(
      {"bob@beta.test"}, make_message("carol@beta.test", {"bob@beta.test"}, "forged From"));
  EXPECT_EQ(forged.code, "sender-not-owned") << forged.object.dump();
  const auto envelope = alice.submit(
      {"bob@beta.test"}, make_message("alice@alpha.test", {"bob@beta.test"}, "forged envelope"),
      "carol@beta.test");
  EXPECT_EQ(envelope.code, "sender-not-owned") << envelope.object.dump();
  EXPECT_EQ(oms_body_files(bed.domain("alpha.test").oms.state_dir), 0u);
  EXPECT_EQ(count_events(bed.events("oms.alpha.test"), "submit.accepted"), 0u);
  EXPECT_EQ(count_events(bed.events("oms.alpha.test"), "notify.sent"), 0u);
}

// A pull listener that stands in for oms.beta.test: serves one message whose From: is in
// another domain, and records the acks it receives.
class fake_oms {
 public:
  fake_oms(const testbed& bed, std::string message) : body_(std::move(message)) {
    const auto& oms = bed.domain("beta.test").oms;
    tls::tls_settings tls;
    tls.cert_file = oms.cert.string();
    tls.key_file = oms.key.string();
    tls.ca_file = bed.ca_cert().string();
    tls.crl_files = {bed.crl().string()};
    auto credentials =
        std::make_shared<tls::credentials>(tls, tls::side::server, tls::listener_kind::pull);
    net::server_settings settings;
    settings.host = oms.host;
    listener_ = net::listener::create(
        io_.get_executor(), settings, credentials,
        [this](net::session& s, net::incoming_request r) { return serve(s, std::move(r)); });
    const boost::asio::ip::tcp::endpoint at(boost::asio::ip::make_address(oms.address), 4652);
    if (auto ec = listener_->open(at)) {
      throw std::runtime_error("fake_oms: cannot listen: " + ec.message());
    }
    listener_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~fake_oms() {
    io_.stop();
    thread_.join();
  }

  std::string digest() const { return "sha256:" + crypto::sha256_hex(body_); }
  std::size_t size() const { return body_.size(); }
  std::vector<nlohmann::json> acks() {
    std::lock_guard lock(mutex_);
    return acks_;
  }
  int pulls() {
    std::lock_guard lock(mutex_);
    return pulls_;
  }

 private:
  // Built outside the coroutine (GCC 12 cannot keep string-literal initializer lists in a
  // coroutine frame).
  nlohmann::json pull_fields() const {
    nlohmann::json fields;
    fields["size"] = body_.size();
    fields["digest"] = digest();
    return fields;
  }
  net::body_source body_source() const {
    auto text = std::make_shared<std::string>(body_);
    auto offset = std::make_shared<std::size_t>(0);
    return
        [text, offset](
            std::span<char> buffer) -> boost::asio::awaitable<boost::system::result<std::size_t>> {
          const std::size_t n = std::min(buffer.size(), text->size() - *offset);
          std::memcpy(buffer.data(), text->data() + *offset, n);
          *offset += n;
          co_return n;
        };
  }

  boost::asio::awaitable<void> serve(net::session& s, net::incoming_request r) {
    const std::string op = r.object.value("op", std::string());
    if (op == "pull") {
      {
        std::lock_guard lock(mutex_);
        ++pulls_;
      }
      co_await s.send_ok_with_body(r.id, pull_fields(), body_.size(), body_source());
    } else if (op == "ack") {
      {
        std::lock_guard lock(mutex_);
        acks_.push_back(r.object);
      }
      co_await s.send_ok(r.id);
    } else {
      co_await s.send_error(r.id, proto::errc::bad_request, std::string("not served here"));
    }
  }

  std::string body_;
  boost::asio::io_context io_{1};
  std::shared_ptr<net::listener> listener_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<nlohmann::json> acks_;
  int pulls_ = 0;
};

// [P-11] [A-1] [A-2] [L-10]: the IMS side of From: alignment. The real OMS refuses such a
// message at submit, so beta.test's OMS is replaced by a pull listener of the test that
// serves, for a notification with sender bob@beta.test, a message whose From: is
// alice@alpha.test (a joe job).
TEST(FlowTrust, PulledMessageWhoseFromIsNotTheSenderDomainIsRefusedAndNotStored) {
  const int net = 220;
  testbed bed({.net = net});
  bed.stop("oms.beta.test");
  fake_oms oms(bed, make_message("alice@alpha.test", {"alice@alpha.test"}, "joe job"));
  const std::string msg = proto::new_message_id();
  peer_session beta(
      bed, notify_peer(bed, "alpha.test", "oms.beta.test", addr(net, 2, 1), "oms.beta.test"));
  ASSERT_TRUE(beta.opened()) << beta.refusal().code << " " << beta.refusal().message;
  auto note = notify_request(msg, "bob@beta.test", {"alice@alpha.test"});
  note["size"] = oms.size();
  note["digest"] = oms.digest();
  const auto accepted = beta.request(note);
  ASSERT_TRUE(accepted.ok) << accepted.code << " " << accepted.message;
  ASSERT_EQ(accepted.object.at("results").at(0).value("status", ""), "accepted");

  ASSERT_TRUE(wait_until([&] { return !oms.acks().empty(); })) << "no ack";
  const auto ack = oms.acks().at(0);
  EXPECT_EQ(ack.value("msg", ""), msg);
  EXPECT_TRUE(ack.at("stored").empty()) << ack.dump();
  ASSERT_EQ(ack.at("refused").size(), 1u) << ack.dump();
  EXPECT_EQ(ack.at("refused").at(0).value("rcpt", ""), "alice@alpha.test");
  EXPECT_EQ(ack.at("refused").at(0).value("code", ""), "sender-not-owned");
  EXPECT_EQ(oms.pulls(), 1);
  EXPECT_EQ(copies_of(bed, "alpha.test", msg, "alice@alpha.test"), 0);
  EXPECT_GE(count_events(bed.events("mx.alpha.test"), "store.refused",
                         {{"msg", msg}, {"code", "sender-not-owned"}}),
            1u);
}

}  // namespace
}  // namespace im2k::test
