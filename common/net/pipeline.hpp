// One client connection shared by many callers, each with its own request: requests are written
// as they come (at most `window` unanswered, [R-3]), responses are read as they arrive and
// handed back in order, so that the connection is never idle while work waits. A response with
// a body has its body read, before the next response, into the sink the caller chose for it.
//
//   auto p = pipeline::create(std::move(connection), 32);
//   auto response = co_await p->call(proto::to_json(request));   // from any number of coroutines
//
// A writer and a reader coroutine run beside each other on the connection's executor (a
// single-threaded io_context or a strand; every caller must use that executor too). After any
// failure the pipeline is unusable: every call in flight and every later call fails, and the
// caller may retry on a new connection what is safe to repeat ([T-12]).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "common/net/body.hpp"
#include "common/net/client_connection.hpp"
#include "common/net/event.hpp"

namespace im2k::net {

class pipeline : public std::enable_shared_from_this<pipeline> {
 public:
  // Given the response (an ok with body_len) and that length: the sink to read the body into,
  // or nullopt to refuse it unread, which closes the connection ([P-10]).
  using body_reader =
      std::function<std::optional<body_sink>(const proto::response&, std::uint64_t body_len)>;

  static std::shared_ptr<pipeline> create(std::unique_ptr<client_connection> connection,
                                          std::size_t window);

  // Sends `request` (its "id" is set here) once the window has room and waits for its response;
  // a body that follows the response is read into the sink `reader` gives (discarded without a
  // reader). A body refused by `reader` fails this call with stage `request`.
  boost::asio::awaitable<client_result<proto::response>> call(nlohmann::json request,
                                                              body_reader reader = {});

  // Neither failed nor closed: calls may be made.
  bool usable() const { return !broken_ && !closing_; }
  // Calls made and not yet answered (written or waiting to be written).
  std::size_t in_flight() const { return to_send_.size() + sent_.size(); }
  std::size_t window() const { return window_; }
  // When the last call was answered (or the pipeline opened), while nothing is in flight.
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
  // Responses received so far (a connection that never answered may be stale).
  std::uint64_t answered() const { return answered_; }
  const client_connection& connection() const { return *connection_; }

  // No new calls; waits (at most `bound`) for the calls in flight, then closes with
  // close_notify. Calls still unanswered then fail.
  boost::asio::awaitable<void> close(std::chrono::steady_clock::duration bound);

  pipeline(std::unique_ptr<client_connection> connection, std::size_t window);  // use create()

 private:
  struct pending_call {
    explicit pending_call(boost::asio::any_io_executor executor) : done(std::move(executor)) {}
    nlohmann::json request;
    body_reader reader;
    event done;
    std::optional<client_result<proto::response>> result;
  };

  void start();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> read_loop();
  // Marks the pipeline broken and fails every call not answered yet with `failure`.
  void fail_all(const client_failure& failure);
  void finish(pending_call& call, client_result<proto::response> result);

  std::unique_ptr<client_connection> connection_;
  const std::size_t window_;
  std::deque<std::shared_ptr<pending_call>> to_send_;  // waiting for the writer
  std::deque<std::shared_ptr<pending_call>> sent_;     // written, waiting for their responses
  event has_work_;  // to_send_ is not empty, or the pipeline ends
  event has_sent_;  // sent_ is not empty, or the pipeline ends
  event has_room_;  // in_flight() < window_, or the pipeline ends
  std::chrono::steady_clock::time_point idle_since_;
  std::uint64_t answered_ = 0;
  bool broken_ = false;
  bool closing_ = false;
  int loops_running_ = 0;
  event loops_done_;
};

}  // namespace im2k::net
