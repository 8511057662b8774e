#include "tests/integration/mc/canned_server.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "common/tls/credentials.hpp"
#include "proto/messages/mailbox.hpp"
#include "proto/messages/sent.hpp"
#include "proto/messages/status.hpp"

namespace im2k::mc::testing {

namespace {

using boost::asio::awaitable;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* alice = "alice@alpha.test";
constexpr const char* carol = "carol@alpha.test";
constexpr std::size_t status_page = 100;
constexpr std::size_t list_page = 2;
constexpr std::uint64_t base_time = 1790000000;
// Arrival order differs from id order, so that the client's sorting shows.
constexpr std::uint64_t received_at[] = {base_time + 300, base_time + 100, base_time + 200};

net::body_source source_of(std::shared_ptr<std::string> text) {
  auto offset = std::make_shared<std::size_t>(0);
  return [text, offset](std::span<char> buffer) -> awaitable<boost::system::result<std::size_t>> {
    const std::size_t n = std::min(buffer.size(), text->size() - *offset);
    std::memcpy(buffer.data(), text->data() + *offset, n);
    *offset += n;
    co_return n;
  };
}

std::vector<proto::recipient_status> sent_status() {
  std::vector<proto::recipient_status> all;
  for (std::size_t i = 0; i < sent_recipients; ++i) {
    proto::recipient_status r;
    r.rcpt = *proto::parse_address(sent_recipient(i));
    r.at = base_time + i;
    if (i == 0) {
      r.state = proto::rcpt_state::pulled;
    } else if (i == 1) {
      r.state = proto::rcpt_state::deferred;
      r.code = proto::errc::internal;
      r.message = "connect: refused\x1b[2J";  // a terminal escape the client must not pass on
      r.next_attempt = base_time + 600;
    } else if (i == 2) {
      r.state = proto::rcpt_state::rejected;
      r.code = proto::errc::unknown_recipient;
      r.message = "no such user";
    } else {
      r.state = proto::rcpt_state::queued;
      r.next_attempt = base_time + 60;
    }
    all.push_back(std::move(r));
  }
  return all;
}

}  // namespace

std::string sent_id(std::size_t index) {
  return std::string(23, 's') + "b" + static_cast<char>('a' + index) + "a";
}

std::string sent_recipient(std::size_t index) {
  return index == 0 ? "bob@beta.test" : "user" + std::to_string(index) + "@beta.test";
}

std::string mailbox_body(std::size_t index) {
  std::string body =
      "From: dave@gamma.test\r\nSubject: canned " + std::to_string(index) + "\r\n\r\n";
  for (int line = 0; line < 8000; ++line) {  // about 200 KiB: many chunks ([F-11])
    body += "line " + std::to_string(line) + " of message " + std::to_string(index) + "\r\n";
  }
  return body;
}

canned_server::canned_server(const tls::tls_settings& submit_tls,
                             const tls::tls_settings& mailbox_tls)
    : work_(io_.get_executor()) {
  net::server_settings settings;
  settings.max_message_size = 1 << 20;
  auto handler = [this](net::session& s, net::incoming_request r) {
    return handle(s, std::move(r));
  };
  const boost::asio::ip::tcp::endpoint any(boost::asio::ip::make_address("127.0.0.1"), 0);

  settings.host = submit_host;
  submit_ = net::listener::create(
      io_.get_executor(), settings,
      std::make_shared<tls::credentials>(submit_tls, tls::side::server, tls::listener_kind::submit),
      handler);
  settings.host = mailbox_host;
  mailbox_ = net::listener::create(io_.get_executor(), settings,
                                   std::make_shared<tls::credentials>(
                                       mailbox_tls, tls::side::server, tls::listener_kind::mailbox),
                                   handler);
  if (submit_->open(any) || mailbox_->open(any)) {
    throw std::runtime_error("canned_server: cannot listen on 127.0.0.1");
  }
  submit_port_ = submit_->local_endpoint().port();
  mailbox_port_ = mailbox_->local_endpoint().port();
  submit_->start();
  mailbox_->start();
  thread_ = std::thread([this] { io_.run(); });
}

canned_server::~canned_server() {
  boost::asio::co_spawn(
      io_,
      [this]() -> awaitable<void> {
        co_await submit_->stop(2s);
        co_await mailbox_->stop(2s);
        work_.reset();
      },
      boost::asio::detached);
  thread_.join();
}

std::vector<submission> canned_server::submissions() {
  std::lock_guard lock(mutex_);
  return submissions_;
}

std::vector<json> canned_server::requests() {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<std::string> canned_server::hello_clients() {
  std::lock_guard lock(mutex_);
  return hello_clients_;
}

std::set<std::string> canned_server::deleted() {
  std::lock_guard lock(mutex_);
  return deleted_;
}

awaitable<void> canned_server::handle(net::session& s, net::incoming_request r) {
  {
    std::lock_guard lock(mutex_);
    json logged = r.object;
    if (logged.contains("password")) {
      logged["password"] = std::string("(given)");
    }
    requests_.push_back(std::move(logged));
    hello_clients_.push_back(s.peer().client);
  }
  if (const auto* auth = std::get_if<proto::auth_request>(&r.request)) {
    if (s.state().has_value()) {
      co_await s.send_error(r.id, proto::errc::bad_request, "already authenticated");  // [U-5]
      co_return;
    }
    const std::string user = auth->user.to_string();
    const std::string password = auth->password.value_or(std::string());
    // The test's client certificate carries DNS names only, not the rfc822Name a real server
    // checks ([C-11]): here any verified client certificate stands for alice, which shows that
    // the client presented it.
    const bool by_certificate = !auth->password && !s.peer().dns_names.empty() && user == alice;
    const bool ok = by_certificate || (user == alice && password == std::string("alice-secret")) ||
                    (user == carol && password == std::string("carol-secret"));
    if (!ok) {
      co_await s.send_error(r.id, proto::errc::not_authenticated, "authentication failed");
      co_return;
    }
    s.state() = user;
    json fields = {{"user", user}};  // built outside co_await: GCC 12 miscompiles it inside
    co_await s.send_ok(r.id, std::move(fields));
    co_return;
  }
  if (!s.state().has_value()) {
    co_await s.send_error(r.id, proto::errc::not_authenticated, "auth first");  // [U-1]
    co_return;
  }
  co_await serve(s, r, std::any_cast<std::string>(s.state()));
}

awaitable<void> canned_server::serve(net::session& s, net::incoming_request& r,
                                     const std::string& user) {
  const bool on_submit = s.peer().kind == tls::listener_kind::submit;
  if (on_submit && std::holds_alternative<proto::submit_request>(r.request)) {
    auto body = std::make_shared<std::string>();
    // A named sink: GCC 12 mishandles a capturing lambda temporary inside co_await.
    net::body_sink sink =
        [body](std::span<const char> chunk) -> awaitable<boost::system::error_code> {
      body->append(chunk.data(), chunk.size());
      co_return boost::system::error_code();
    };
    auto read = co_await s.read_body(sink);
    if (!read) {
      co_return;
    }
    {
      std::lock_guard lock(mutex_);
      submissions_.push_back({r.object, *body});
    }
    json fields = {{"msg", new_msg}};
    co_await s.send_ok(r.id, std::move(fields));
  } else if (const auto* st = std::get_if<proto::status_request>(&r.request); on_submit && st) {
    if (st->msg == busy_msg) {
      co_await s.send_error(r.id, proto::errc::rate_limited, "slow down");
      co_return;
    }
    if (st->msg != sent_msg || user != alice) {
      co_await s.send_error(r.id, proto::errc::not_found, "no such message");
      co_return;
    }
    const auto all = sent_status();
    std::size_t start = 0;
    if (r.object.contains("after")) {
      const auto after = r.object["after"].get<std::string>();
      auto it = std::find_if(all.begin(), all.end(),
                             [&](const auto& x) { return x.rcpt.to_string() == after; });
      if (it == all.end()) {
        co_await s.send_error(r.id, proto::errc::bad_request, "after: not a recipient");
        co_return;
      }
      start = static_cast<std::size_t>(it - all.begin()) + 1;
    }
    proto::status_response response;
    response.msg = st->msg;
    const std::size_t end = std::min(all.size(), start + status_page);
    response.recipients.assign(all.begin() + static_cast<std::ptrdiff_t>(start),
                               all.begin() + static_cast<std::ptrdiff_t>(end));
    json fields = proto::to_json(response);
    fields.erase("op");
    fields.erase("re");
    fields["more"] = end < all.size();
    co_await s.send_ok(r.id, std::move(fields));
  } else if (const auto* sr = std::get_if<proto::sent_request>(&r.request); on_submit && sr) {
    std::size_t start = sent_count;  // newest first: index start - 1 down to 0
    if (sr->before) {
      start = sent_count + 1;
      for (std::size_t i = 0; i < sent_count; ++i) {
        start = sent_id(i) == *sr->before ? i : start;
      }
      if (start > sent_count || user != alice) {
        co_await s.send_error(r.id, proto::errc::bad_request, "before: not a message of yours");
        co_return;
      }
    }
    proto::sent_response response;
    if (user == alice) {
      for (std::size_t i = start; i > 0 && response.messages.size() < proto::max_sent_messages;
           --i) {
        const std::size_t index = i - 1;
        proto::sent_message m{sent_id(index), 1'790'000'000 + index, 1000 + index, 1, {}};
        if (index == 0) {
          m.rcpt_count = sent_recipients;
          for (const auto& st : sent_status()) {
            if (m.recipients.size() < proto::max_sent_recipients) {
              m.recipients.push_back({st.rcpt, st.state, st.at, st.code, st.message});
            }
          }
        } else {
          m.recipients.push_back({*proto::parse_address(sent_recipient(0)),
                                  proto::rcpt_state::pulled,
                                  1'790'000'100 + index,
                                  {},
                                  {}});
        }
        response.messages.push_back(std::move(m));
      }
      response.more = !response.messages.empty() && sent_id(0) != response.messages.back().msg;
    }
    json fields = proto::to_json(response);
    fields.erase("op");
    fields.erase("re");
    fields["more"] = response.more;
    co_await s.send_ok(r.id, std::move(fields));
  } else if (const auto* rc = std::get_if<proto::recall_request>(&r.request); on_submit && rc) {
    if (rc->msg != sent_msg || user != alice) {
      co_await s.send_error(r.id, proto::errc::not_found, "no such message");
      co_return;
    }
    json fields = {{"msg", rc->msg}, {"recalled", {sent_recipient(3), sent_recipient(4)}}};
    co_await s.send_ok(r.id, std::move(fields));
  } else if (!on_submit && std::holds_alternative<proto::list_request>(r.request)) {
    std::vector<std::size_t> visible;
    {
      std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < mailbox_ids.size(); ++i) {
        if (user == alice && !deleted_.contains(mailbox_ids[i])) {
          visible.push_back(i);
        }
      }
    }
    std::string after = r.object.value("after", std::string());
    json messages = json::array();
    bool more = false;
    for (std::size_t i : visible) {
      if (mailbox_ids[i] <= after) {
        continue;
      }
      if (messages.size() == list_page) {
        more = true;
        break;
      }
      messages.push_back({{"id", mailbox_ids[i]},
                          {"from", "dave@gamma.test"},
                          {"size", mailbox_body(i).size()},
                          {"received", received_at[i]},
                          {"state", i == 1 ? "held" : "stored"}});
    }
    json fields = {{"messages", messages}, {"more", more}};
    co_await s.send_ok(r.id, std::move(fields));
  } else if (const auto* f = std::get_if<proto::fetch_request>(&r.request); !on_submit && f) {
    auto it = std::find(mailbox_ids.begin(), mailbox_ids.end(), f->msg);
    if (user != alice || it == mailbox_ids.end() || deleted().contains(f->msg)) {
      co_await s.send_error(r.id, proto::errc::not_found, "no such message");  // [M-1]
      co_return;
    }
    auto body = std::make_shared<std::string>(
        mailbox_body(static_cast<std::size_t>(it - mailbox_ids.begin())));
    json fields = {{"size", body->size()}};
    net::body_source source = source_of(body);
    co_await s.send_ok_with_body(r.id, std::move(fields), body->size(), source);
  } else if (const auto* d = std::get_if<proto::delete_request>(&r.request); !on_submit && d) {
    const bool known =
        std::find(mailbox_ids.begin(), mailbox_ids.end(), d->msg) != mailbox_ids.end();
    if (user != alice || !known || deleted().contains(d->msg)) {
      co_await s.send_error(r.id, proto::errc::not_found, "no such message");
      co_return;
    }
    {
      std::lock_guard lock(mutex_);
      deleted_.insert(d->msg);
    }
    co_await s.send_ok(r.id, json::object());
  } else {
    co_await s.send_error(r.id, proto::errc::bad_request, "not on this listener");
  }
}

}  // namespace im2k::mc::testing
