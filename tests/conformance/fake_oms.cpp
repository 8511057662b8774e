#include "tests/conformance/fake_oms.hpp"

#include <boost/asio/ip/address.hpp>

#include "common/tls/credentials.hpp"

namespace im2k::conform {

namespace asio = boost::asio;

namespace {

std::shared_ptr<tls::credentials> server_credentials(const target& t, std::string cert,
                                                     std::string key, tls::listener_kind kind) {
  tls::tls_settings s;
  s.cert_file = std::move(cert);
  s.key_file = std::move(key);
  s.ca_file = t.ca_cert.string();
  s.crl_files = {t.crl.string()};
  s.crl = tls::crl_mode::require;
  return std::make_shared<tls::credentials>(s, tls::side::server, kind);
}

}  // namespace

std::string make_message(const std::string& from, const std::string& rcpt,
                         const std::string& subject) {
  return "From: " + from + "\r\nTo: " + rcpt + "\r\nSubject: " + subject +
         "\r\n\r\nim2k conformance suite\r\n";
}

fake_oms::fake_oms(asio::any_io_executor executor, const target& t, std::string cert,
                   std::string key)
    : target_(t) {
  net::server_settings settings;
  settings.host = t.suite_oms_host();
  listener_ = net::listener::create(
      executor, settings,
      server_credentials(t, std::move(cert), std::move(key), tls::listener_kind::pull),
      [this](net::session& s, net::incoming_request r) { return handle(s, std::move(r)); });
}

boost::system::error_code fake_oms::open() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(target_.suite_oms_address, ec);
  if (ec)
    return ec;
  ec = listener_->open({address, target_.pull_port});
  if (!ec)
    listener_->start();
  return ec;
}

asio::awaitable<void> fake_oms::stop() {
  co_await listener_->stop(std::chrono::seconds(2));
}

const served_message* fake_oms::find(const std::string& msg) const {
  auto it = messages_.find(msg);
  return it == messages_.end() ? nullptr : &it->second;
}

asio::awaitable<void> fake_oms::handle(net::session& s, net::incoming_request r) {
  const auto& o = r.object;
  auto op = o.value("op", "");
  auto msg = o.value("msg", "");
  auto it = messages_.find(msg);
  if (op == "pull") {
    if (it != messages_.end())
      ++it->second.attempts;
    if (it == messages_.end() || it->second.token != o.value("token", "") ||
        it->second.rcpt_domain != o.value("rcpt_domain", "")) {
      co_await s.send_error(r.id, proto::errc::not_found, "no such message");
      co_return;
    }
    auto& m = it->second;
    ++m.pulls;
    auto body = m.body;
    std::size_t offset = 0;
    nlohmann::json fields = {{"size", body.size()}, {"digest", m.digest}};
    // Named, not a temporary in the co_await expression: GCC 12 destroys those twice.
    net::body_source source =
        [body, offset](
            std::span<char> buffer) mutable -> asio::awaitable<boost::system::result<std::size_t>> {
      auto n = std::min(buffer.size(), body.size() - offset);
      std::copy_n(body.data() + offset, n, buffer.data());
      offset += n;
      co_return n;
    };
    co_await s.send_ok_with_body(r.id, fields, body.size(), std::move(source));
    co_return;
  }
  if (op == "ack") {
    if (it != messages_.end())
      it->second.acks.push_back(o);
    co_await s.send_ok(r.id);
    co_return;
  }
  co_await s.send_error(r.id, proto::errc::bad_request, "not on a pull listener");
}

}  // namespace im2k::conform
