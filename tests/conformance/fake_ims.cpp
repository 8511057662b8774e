#include "tests/conformance/fake_ims.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/tls/credentials.hpp"

namespace im2k::conform {

namespace asio = boost::asio;

fake_ims::fake_ims(asio::any_io_executor executor, const target& t, std::string cert,
                   std::string key)
    : target_(t) {
  tls::tls_settings s;
  s.cert_file = std::move(cert);
  s.key_file = std::move(key);
  s.ca_file = t.ca_cert.string();
  s.crl_files = {t.crl.string()};
  net::server_settings settings;
  settings.host = t.suite_mx_host();
  listener_ = net::listener::create(
      executor, settings,
      std::make_shared<tls::credentials>(s, tls::side::server, tls::listener_kind::notify),
      [this](net::session& session, net::incoming_request r) {
        return handle(session, std::move(r));
      });
}

boost::system::error_code fake_ims::open() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(target_.suite_mx_address, ec);
  if (ec)
    return ec;
  ec = listener_->open({address, target_.notify_port});
  if (!ec)
    listener_->start();
  return ec;
}

asio::awaitable<void> fake_ims::stop() {
  co_await listener_->stop(std::chrono::seconds(2));
}

asio::awaitable<std::optional<received_notification>> fake_ims::wait_for(
    const std::string& rcpt, std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    for (const auto& n : received_) {
      for (const auto& r : n.request.value("rcpt", nlohmann::json::array()))
        if (r.is_string() && r.get<std::string>() == rcpt)
          co_return n;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      co_return std::nullopt;
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<void> fake_ims::handle(net::session& s, net::incoming_request r) {
  if (r.object.value("op", "") != "notify") {
    co_await s.send_error(r.id, proto::errc::bad_request, "not on a notify listener");
    co_return;
  }
  received_.push_back({s.peer().host, s.peer().remote.address().to_string(), r.object});
  auto results = nlohmann::json::array();
  for (const auto& rcpt : r.object.value("rcpt", nlohmann::json::array()))
    results.push_back(nlohmann::json{{"rcpt", rcpt}, {"status", "accepted"}});
  nlohmann::json fields = {{"results", results}};
  co_await s.send_ok(r.id, fields);
}

}  // namespace im2k::conform
