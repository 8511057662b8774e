// Trust rule 5: the IMS pulls each accepted (S, msg, R) once from H, the host that notified it
// ([P-1] ... [P-14]), stores the copy durably for every accepted local recipient, and acks
// ([A-1]). Pulls and acks that fail temporarily are retried with the [L-8] schedule until
// `expires`; the schedule lives in the store, so a restart resumes it ([K-6]).
//
// Eager policy ([N-16]): a scheduler coroutine takes the due jobs from the store's in-memory
// index, at most max_concurrent at once and never two of the same (S, msg, R) ([P-4]), and
// runs each one as a coroutine that reads top to bottom: designate H's addresses, pull on a
// connection kept open to (S, H) (net::peer_pool, pipelined), store, ack on the same kind of
// connection. A kept connection serves a message only when its remote address is designated by
// SPF for that message's sender; the token and the digest are checked per message ([R-9] ...
// ). On-read policy: the store keeps the pull `held` until the recipient lists (release,
// then wake) or fetches (pull_now) the entry.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/dns/resolver.hpp"
#include "common/net/peer_pool.hpp"
#include "common/tls/credentials.hpp"
#include "ims/source_check.hpp"
#include "ims/store.hpp"

namespace im2k::ims {

// How one attempt ended: no code when it stored, refused or acked; else the code of the
// temporary failure (retried later) or of the permanent one (the notification is dropped).
struct attempt_outcome {
  std::optional<proto::errc> code;
  bool temporary = false;
};

struct puller_settings {
  std::string host;  // ours: the hello host I ([P-3]) and the authserv-id ([P-13])
  std::filesystem::path bodies_dir;
  std::uint16_t port = 4652;
  std::optional<boost::asio::ip::address> bind_address;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds retry_initial{60};
  std::chrono::seconds retry_max{3600};
  std::uint64_t max_message_size = 10 * 1024 * 1024;
  std::size_t max_concurrent = 256;                        // jobs in flight, all peers together
  net::pool_limits pool{2, 16, std::chrono::seconds(10)};  // per (S, H)
};

class puller : public std::enable_shared_from_this<puller> {
 public:
  // `credentials`: client side, kind pull.
  static std::shared_ptr<puller> create(boost::asio::any_io_executor executor,
                                        puller_settings settings, dns::resolver& dns,
                                        mail_store& records,
                                        std::shared_ptr<tls::credentials> credentials);

  // Starts the scheduler.
  void start();
  // Something became due (a new acceptance): look now.
  void wake();
  // [M-3]: a fetch of a held entry. Releases the pull and runs it now, whatever its schedule,
  // or waits (bounded) for the run of it already in flight and reports nothing of that run:
  // the caller reads the outcome from the store.
  boost::asio::awaitable<attempt_outcome> pull_now(pull_key key);
  // Drain: no new job starts; jobs in flight finish (a job stopped midway stays resumable in
  // the store) or are abandoned after `bound`.
  boost::asio::awaitable<void> stop(std::chrono::steady_clock::duration bound);

  puller(boost::asio::any_io_executor executor, puller_settings settings, dns::resolver& dns,
         mail_store& records, std::shared_ptr<tls::credentials> credentials);  // use create()

 private:
  boost::asio::awaitable<void> schedule();
  boost::asio::awaitable<attempt_outcome> run(pull_job job);
  boost::asio::awaitable<void> attempt(pull_job job);
  // The pull step; false when the job ended there (retried, dropped or refused).
  boost::asio::awaitable<bool> pull(pull_job& job, const designated_source& source);
  boost::asio::awaitable<void> ack(const pull_job& job, const designated_source& source);
  using pool_type = net::peer_pool<std::pair<std::string, std::string>, net::client_failure>;
  // A kept or new connection to H whose remote address `source` designates.
  boost::asio::awaitable<pool_type::outcome> connection(const pull_job& job,
                                                        const designated_source& source);
  boost::asio::awaitable<pool_type::opened> open(std::string host,
                                                 std::vector<boost::asio::ip::address> addresses);
  // One request with one retry on a fresh connection when the connection failed ([T-12]).
  boost::asio::awaitable<net::client_result<proto::response>> exchange(
      const pull_job& job, const designated_source& source, nlohmann::json request);
  // Ends the run of `key`: settles it in the store and wakes whoever waits for it.
  void done(const pull_key& key);
  boost::asio::awaitable<void> finished(const pull_key& key);
  boost::asio::awaitable<void> drop(const pull_job& job, std::string code, std::string why);
  boost::asio::awaitable<void> retry(const pull_job& job, std::string code, std::string why);

  boost::asio::any_io_executor executor_;
  puller_settings settings_;
  dns::resolver& dns_;
  mail_store& records_;
  std::shared_ptr<tls::credentials> credentials_;
  pool_type pool_;
  boost::asio::steady_timer wake_timer_;
  boost::asio::steady_timer idle_timer_;  // cancelled when the last job of a drain ends
  std::set<pull_key> in_flight_;
  std::map<pull_key, attempt_outcome> outcomes_;  // of the runs in flight, set by retry and drop
  std::multimap<pull_key, boost::asio::steady_timer*> waiters_;  // cancelled when a run ends
  bool stopping_ = false;
};

}  // namespace im2k::ims
