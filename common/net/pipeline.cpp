#include "common/net/pipeline.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

// GCC 12 reports -Wmismatched-new-delete for Asio's coroutine frames here; Asio pairs its own
// operator new and delete, so it is a false positive (GCC bug 103498).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace im2k::net {

namespace {

using boost::asio::awaitable;

client_failure broken_failure(std::string message) {
  client_failure f;
  f.stage = client_stage::request;
  f.code = boost::asio::error::not_connected;
  f.message = std::move(message);
  return f;
}

// Reads and drops a body nobody asked for.
boost::system::error_code ignore_chunk(std::span<const char>) {
  return {};
}

}  // namespace

std::shared_ptr<pipeline> pipeline::create(std::unique_ptr<client_connection> connection,
                                           std::size_t window) {
  auto p = std::make_shared<pipeline>(std::move(connection), window);
  p->start();
  return p;
}

pipeline::pipeline(std::unique_ptr<client_connection> connection, std::size_t window)
    : connection_(std::move(connection)),
      window_(std::max<std::size_t>(window, 1)),
      has_work_(connection_->executor()),
      has_sent_(connection_->executor()),
      has_room_(connection_->executor()),
      idle_since_(std::chrono::steady_clock::now()),
      loops_done_(connection_->executor()) {
  has_room_.set();
}

void pipeline::start() {
  loops_running_ = 2;
  auto done = [self = shared_from_this()](std::exception_ptr) {
    if (--self->loops_running_ == 0) {
      self->loops_done_.set();
    }
  };
  boost::asio::co_spawn(connection_->executor(), write_loop(), done);
  boost::asio::co_spawn(connection_->executor(), read_loop(), done);
}

awaitable<client_result<proto::response>> pipeline::call(nlohmann::json request,
                                                         body_reader reader) {
  auto self = shared_from_this();  // the loops may end while this call waits
  while (usable() && in_flight() >= window_) {
    has_room_.reset();
    co_await has_room_.wait();
  }
  if (!usable()) {
    co_return broken_failure(broken_ ? "the connection has failed" : "the connection is closing");
  }
  auto c = std::make_shared<pending_call>(connection_->executor());
  c->request = std::move(request);
  c->reader = std::move(reader);
  to_send_.push_back(c);
  has_work_.set();
  co_await c->done.wait();
  co_return std::move(*c->result);
}

awaitable<void> pipeline::write_loop() {
  auto self = shared_from_this();
  while (!broken_) {
    if (to_send_.empty()) {
      if (closing_) {
        break;
      }
      has_work_.reset();
      co_await has_work_.wait();
      continue;
    }
    auto c = to_send_.front();
    to_send_.pop_front();
    // In sent_ before the write starts: the reader may then wait for its response at once.
    sent_.push_back(c);
    has_sent_.set();
    auto written = co_await connection_->send(std::move(c->request));
    if (!written) {
      fail_all(written.error());
      break;
    }
  }
  has_sent_.set();  // let the reader see the end
}

awaitable<void> pipeline::read_loop() {
  auto self = shared_from_this();
  while (!broken_) {
    if (sent_.empty()) {
      if (closing_ && to_send_.empty()) {
        break;
      }
      has_sent_.reset();
      co_await has_sent_.wait();
      continue;
    }
    auto response = co_await connection_->receive();
    if (!response) {
      fail_all(response.error());
      break;
    }
    auto c = sent_.front();
    std::optional<std::uint64_t> body_len;
    if (const auto* ok = std::get_if<proto::ok_response>(&*response)) {
      if (auto it = ok->object.find("body_len");
          it != ok->object.end() && it->is_number_unsigned()) {
        body_len = it->get<std::uint64_t>();
      }
    }
    if (body_len) {
      std::optional<body_sink> sink;
      if (c->reader) {
        sink = c->reader(*response, *body_len);
      } else {
        sink = body_sink([](std::span<const char> chunk) -> awaitable<boost::system::error_code> {
          co_return ignore_chunk(chunk);
        });
      }
      if (!sink) {
        // Refused unread: the rest of the stream is that body, so the connection ends here.
        sent_.pop_front();
        finish(*c, broken_failure("the response's body was refused"));
        connection_->abort();  // the writer may be writing: no close_notify
        fail_all(broken_failure("the connection was closed after a refused body"));
        break;
      }
      auto read = co_await connection_->read_body(*body_len, std::move(*sink));
      if (!read) {
        fail_all(read.error());
        break;
      }
    }
    sent_.pop_front();
    ++answered_;
    finish(*c, std::move(*response));
  }
}

void pipeline::finish(pending_call& c, client_result<proto::response> result) {
  c.result = std::move(result);
  c.done.set();
  if (in_flight() < window_) {
    has_room_.set();
  }
  if (in_flight() == 0) {
    idle_since_ = std::chrono::steady_clock::now();
  }
}

void pipeline::fail_all(const client_failure& failure) {
  broken_ = true;
  auto waiting = std::move(sent_);
  for (auto& c : to_send_) {
    waiting.push_back(c);
  }
  to_send_.clear();
  sent_.clear();
  for (auto& c : waiting) {
    finish(*c, failure);
  }
  has_work_.set();
  has_sent_.set();
  has_room_.set();
}

awaitable<void> pipeline::close(std::chrono::steady_clock::duration bound) {
  auto self = shared_from_this();
  closing_ = true;
  has_room_.set();  // callers waiting for room give up
  const auto deadline = std::chrono::steady_clock::now() + bound;
  boost::asio::steady_timer poll(connection_->executor());
  while (!broken_ && in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(std::chrono::milliseconds(20));
    co_await poll.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  has_work_.set();
  has_sent_.set();
  if (!broken_ && in_flight() == 0) {
    // Both loops are waiting for work and leave when woken; then say goodbye.
    co_await loops_done_.wait();
    co_await connection_->close();
  } else {
    connection_->abort();  // ends the loops' reads and writes
    fail_all(broken_failure("the connection was closed"));
  }
}

}  // namespace im2k::net
