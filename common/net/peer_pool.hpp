// Open pipelines to peers, kept for reuse: the notifier keeps them per recipient domain, the
// puller per (sender domain, host). get() hands out an open pipeline with room, opens another
// while the peer has fewer than max_connections, and otherwise shares the least busy one (its
// window then queues the call). Callers that find a connection attempt under way wait for it
// and share its outcome, so that a peer that is down costs one attempt, not one per message.
// Connections idle for longer than `idle` are closed by close_idle().
//
// Use from one thread (the executor of a single-threaded io_context), like the pipelines.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/net/client_connection.hpp"
#include "common/net/event.hpp"
#include "common/net/pipeline.hpp"

namespace im2k::net {

struct pool_limits {
  std::size_t max_connections = 2;  // per peer
  std::size_t window = 32;          // unanswered requests per connection ([R-3])
  std::chrono::steady_clock::duration idle = std::chrono::seconds(10);
};

template <class Key, class Failure>
class peer_pool {
 public:
  using opened = std::variant<std::unique_ptr<client_connection>, Failure>;
  using connector = std::function<boost::asio::awaitable<opened>()>;
  // Whether an open connection may serve this caller (for example: its address is designated).
  using acceptable = std::function<bool(const client_connection&)>;
  using outcome = std::variant<std::shared_ptr<pipeline>, Failure>;

  peer_pool(boost::asio::any_io_executor executor, pool_limits limits)
      : executor_(std::move(executor)), limits_(limits) {}

  boost::asio::awaitable<outcome> get(Key key, connector connect, acceptable accept = {}) {
    for (;;) {
      lane& l = lanes_[key];  // looked up again after every wait: close_idle may erase it
      std::erase_if(l.open, [](const auto& p) { return !p->usable(); });
      std::shared_ptr<pipeline> best;
      for (const auto& p : l.open) {
        if ((!accept || accept(p->connection())) && (!best || p->in_flight() < best->in_flight())) {
          best = p;
        }
      }
      const bool may_open = l.open.size() < limits_.max_connections || !best;
      if (best && (best->in_flight() < best->window() || !may_open)) {
        co_return outcome{best};
      }
      if (auto under_way = l.connecting) {
        co_await under_way->done.wait();
        if (under_way->failure) {
          co_return outcome{*under_way->failure};
        }
        continue;  // its connection is in the lane now
      }
      auto mine = std::make_shared<attempt>(executor_);
      l.connecting = mine;
      auto result = co_await connect();
      lane& after = lanes_[key];
      after.connecting.reset();
      if (auto* failed = std::get_if<Failure>(&result)) {
        mine->failure = *failed;
        mine->done.set();
        co_return outcome{*failed};
      }
      auto p = pipeline::create(std::move(std::get<0>(result)), limits_.window);
      after.open.push_back(p);
      mine->done.set();
      co_return outcome{p};
    }
  }

  // Closes the connections that have been idle for longer than the limit, and unusable ones.
  boost::asio::awaitable<void> close_idle() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<pipeline>> closing;
    for (auto it = lanes_.begin(); it != lanes_.end();) {
      auto& open = it->second.open;
      for (auto p = open.begin(); p != open.end();) {
        const bool idle = (*p)->in_flight() == 0 && now - (*p)->idle_since() >= limits_.idle;
        if (!(*p)->usable() || idle) {
          closing.push_back(*p);
          p = open.erase(p);
        } else {
          ++p;
        }
      }
      if (open.empty() && !it->second.connecting) {
        it = lanes_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& p : closing) {
      co_await p->close(std::chrono::seconds(0));
    }
  }

  // Closes every connection, waiting at most `bound` for each one's calls in flight.
  boost::asio::awaitable<void> close_all(std::chrono::steady_clock::duration bound) {
    std::vector<std::shared_ptr<pipeline>> closing;
    for (auto& [key, l] : lanes_) {
      closing.insert(closing.end(), l.open.begin(), l.open.end());
      l.open.clear();
    }
    for (auto& p : closing) {
      co_await p->close(bound);
    }
  }

  std::size_t connections() const {
    std::size_t n = 0;
    for (const auto& [key, l] : lanes_) {
      n += l.open.size();
    }
    return n;
  }

 private:
  struct attempt {
    explicit attempt(boost::asio::any_io_executor executor) : done(std::move(executor)) {}
    event done;
    std::optional<Failure> failure;
  };
  struct lane {
    std::vector<std::shared_ptr<pipeline>> open;
    std::shared_ptr<attempt> connecting;
  };

  boost::asio::any_io_executor executor_;
  const pool_limits limits_;
  std::map<Key, lane> lanes_;
};

}  // namespace im2k::net
