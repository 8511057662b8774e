#include "common/dns/cares_resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/dns/cache.hpp"
#include "common/dns/name.hpp"
#include "common/dns/query_name.hpp"
#include "common/dns/wire.hpp"

namespace im2k::dns {

namespace {

constexpr std::uint32_t max_positive_ttl = 24 * 3600;
constexpr std::uint32_t max_negative_ttl = 3600;  // RFC 2308 section 5 suggests 1 to 3 hours
constexpr int max_cname_restarts = 8;

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (const int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS) {
      throw std::runtime_error(std::string("c-ares library init failed: ") + ares_strerror(rc));
    }
  });
}

// "1.2.3.4:53", "[::1]:5300", or a bare address (port 53).
ares_addr_port_node parse_server(const std::string& text) {
  const auto bad = [&text](const char* why) {
    return std::runtime_error("bad DNS server \"" + text + "\": " + why);
  };
  std::string host = text;
  int port = 53;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(text, ec);
  if (ec) {
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
      const auto close = text.find(']');
      if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
        throw bad("expected [address]:port");
      }
      host = text.substr(1, close - 1);
      port_text = text.substr(close + 2);
    } else {
      const auto colon = text.rfind(':');
      if (colon == std::string::npos) {
        throw bad("expected address:port");
      }
      host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
    }
    const char* first = port_text.data();
    const char* last = first + port_text.size();
    const auto [end, err] = std::from_chars(first, last, port);
    if (err != std::errc() || end != last || port < 1 || port > 65535) {
      throw bad("port must be 1 to 65535");
    }
    address = boost::asio::ip::make_address(host, ec);
    if (ec) {
      throw bad("not an IP address");
    }
    if (address.is_v6() && text.front() != '[') {
      throw bad("write IPv6 servers as [address]:port");
    }
  }
  ares_addr_port_node node{};
  if (address.is_v4()) {
    node.family = AF_INET;
    const auto bytes = address.to_v4().to_bytes();
    std::memcpy(&node.addr.addr4, bytes.data(), bytes.size());
  } else {
    node.family = AF_INET6;
    const auto bytes = address.to_v6().to_bytes();
    std::memcpy(&node.addr.addr6, bytes.data(), bytes.size());
  }
  node.udp_port = port;
  node.tcp_port = port;
  return node;
}

std::string failure_detail(int code, int tries) {
  switch (code) {
    case ARES_ETIMEOUT:
      return "timeout after " + std::to_string(tries) + (tries == 1 ? " try" : " tries");
    case ARES_ECONNREFUSED:
      return "connection refused";
    case ARES_ESERVFAIL:
      return "SERVFAIL";
    case ARES_EREFUSED:
      return "REFUSED";
    case ARES_ENOTIMP:
      return "NOTIMP";
    case ARES_EFORMERR:
      return "FORMERR";
    case ARES_EBADRESP:
      return "malformed answer";
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
      return "resolver shut down";
    default:
      return std::string("c-ares: ") + ares_strerror(code);
  }
}

std::string rcode_name(int rcode) {
  switch (rcode) {
    case wire::rcode_servfail:
      return "SERVFAIL";
    case wire::rcode_refused:
      return "REFUSED";
    case 1:
      return "FORMERR";
    case 4:
      return "NOTIMP";
    default:
      return "rcode " + std::to_string(rcode);
  }
}

bool ready(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (events | POLLERR | POLLHUP)) != 0;
}

}  // namespace

class cares_resolver::impl : public std::enable_shared_from_this<impl> {
 public:
  using handler_type = boost::asio::any_completion_handler<void(answer_set)>;

  impl(boost::asio::any_io_executor executor, resolver_options options)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        timer_(executor_),
        cache_(options_.cache_entries) {}
  ~impl() { close(); }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  // Separate from the constructor: the callbacks below need `this` at its final address.
  void open() {
    init_library();
    std::vector<ares_addr_port_node> servers;
    for (const auto& s : options_.servers) {
      servers.push_back(parse_server(s));
    }
    if (options_.tries < 1 || options_.timeout.count() < 1) {
      throw std::runtime_error("resolver timeout and tries must be positive");
    }
    ares_options opts{};
    // NOCHECKRESP: SERVFAIL and REFUSED answers come to us (to say which it was) instead of
    // making c-ares try the next server and then report "connection refused".
    opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
    opts.timeout = static_cast<int>(options_.timeout.count());
    opts.tries = options_.tries;
    opts.ednspsz = 1232;
    opts.sock_state_cb = &impl::on_sock_state;
    opts.sock_state_cb_data = this;
    const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ |
                     ARES_OPT_SOCK_STATE_CB;
    if (const int rc = ares_init_options(&channel_, &opts, mask); rc != ARES_SUCCESS) {
      throw std::runtime_error(std::string("c-ares init failed: ") + ares_strerror(rc));
    }
    if (!servers.empty()) {
      for (std::size_t i = 0; i + 1 < servers.size(); ++i) {
        servers[i].next = &servers[i + 1];
      }
      if (const int rc = ares_set_servers_ports(channel_, servers.data()); rc != ARES_SUCCESS) {
        ares_destroy(channel_);
        channel_ = nullptr;
        throw std::runtime_error(std::string("c-ares servers: ") + ares_strerror(rc));
      }
    }
  }

  // Completes every waiting query (as temporary) and lets go of every socket.
  void close() {
    if (channel_ != nullptr) {
      ares_destroy(channel_);
      channel_ = nullptr;
    }
    for (auto& [fd, w] : watchers_) {
      w->close();
    }
    watchers_.clear();
    timer_.cancel();
  }

  boost::asio::awaitable<answer_set> query(std::string name, std::uint16_t type) {
    auto question = make_query_name(normalize(name));
    if (!question) {
      co_return answer_set{status::nxdomain, "not a valid DNS name", {}};
    }
    if (auto hit = cache_.find(type, question->canonical, answer_cache::clock::now())) {
      ++cache_hits_;
      co_return std::move(*hit);
    }
    co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                   void(answer_set)>(
        [this, &question, type](auto handler) {
          start(*question, type, handler_type(std::move(handler)));
        },
        boost::asio::use_awaitable);
  }

  std::size_t cache_hits_ = 0;
  std::size_t queries_sent_ = 0;

 private:
  // One c-ares socket watched by Asio. The descriptor never owns the socket: c-ares closes it.
  struct watcher {
    watcher(const boost::asio::any_io_executor& ex, ares_socket_t s) : fd(s), descriptor(ex, s) {}
    ~watcher() { close(); }
    void close() {
      closed = true;
      if (descriptor.is_open()) {
        descriptor.release();  // cancels pending waits; the socket stays open for c-ares
      }
    }

    ares_socket_t fd;
    boost::asio::posix::stream_descriptor descriptor;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;  // a read wait (or a posted read) is pending
    bool writing = false;
    bool closed = false;
  };

  struct query_context {
    impl* self;
    std::string key;  // "type/name" of the original question: where the answer goes
    std::uint16_t type;
    std::string asked;  // the name in this query: the original, or the end of a CNAME chain
    int depth = 0;      // CNAME restarts so far
    std::uint32_t ttl = 0xffffffffu;  // smallest TTL of the CNAMEs followed in earlier answers
  };

  void start(const query_name& name, std::uint16_t type, handler_type handler) {
    std::string key = std::to_string(type) + '/' + name.canonical;
    auto& waiters = pending_[key];
    waiters.push_back(std::move(handler));
    if (waiters.size() > 1) {
      return;  // the same question is already in flight: share its answer
    }
    if (channel_ == nullptr) {
      finish(key, type, answer_set{status::temporary, "resolver shut down", {}}, 0);
      return;
    }
    ++queries_sent_;
    ares_query(channel_, name.cares.c_str(), 1 /* IN */, type, &impl::on_answer,
               new query_context{this, std::move(key), type, name.canonical});
    update_timer();
  }

  static void on_answer(void* arg, int code, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<query_context> q(static_cast<query_context*>(arg));
    q->self->answered(*q, code, abuf, alen);
  }

  void answered(const query_context& q, int code, const unsigned char* abuf, int alen) {
    answer_set result;
    std::uint32_t ttl = 0;
    // ARES_FLAG_NOCHECKRESP: SERVFAIL and REFUSED answers arrive here too, with their message.
    if (abuf == nullptr || alen <= 0 || code == ARES_EDESTRUCTION || code == ARES_ECANCELLED) {
      result = {status::temporary, failure_detail(code, options_.tries), {}};
      finish(q.key, q.type, std::move(result), 0);
      return;
    }
    auto parsed = wire::parse_answer(
        std::span<const std::uint8_t>(abuf, static_cast<std::size_t>(alen)), q.asked, q.type);
    if (!parsed.well_formed) {
      result = {status::temporary, "malformed answer: " + parsed.error, {}};
    } else if (parsed.rcode == wire::rcode_noerror && !parsed.records.empty()) {
      result = {status::ok, "", std::move(parsed.records)};
      ttl = std::min({parsed.ttl, q.ttl, max_positive_ttl});
    } else if (parsed.rcode == wire::rcode_noerror && parsed.canonical_name != q.asked &&
               !parsed.negative_ttl) {
      // A CNAME chain without its end and without a SOA: the server did not follow it (unbound
      // does this for local-data CNAMEs). Ask for the end ourselves, a bounded number of times.
      const auto target = make_query_name(parsed.canonical_name);
      if (q.depth >= max_cname_restarts || !target) {
        finish(q.key, q.type, {status::temporary, "CNAME chain not resolved", {}}, 0);
        return;
      }
      ++queries_sent_;
      ares_query(channel_, target->cares.c_str(), 1 /* IN */, q.type, &impl::on_answer,
                 new query_context{this, q.key, q.type, target->canonical, q.depth + 1,
                                   std::min(q.ttl, parsed.cname_ttl)});
      return;
    } else if (parsed.rcode == wire::rcode_noerror || parsed.rcode == wire::rcode_nxdomain) {
      const bool nx = parsed.rcode == wire::rcode_nxdomain;
      result = {nx ? status::nxdomain : status::nodata, nx ? "NXDOMAIN" : "NODATA", {}};
      if (parsed.negative_ttl) {
        ttl = std::min(*parsed.negative_ttl, max_negative_ttl);
      }
    } else {
      result = {status::temporary, rcode_name(parsed.rcode), {}};
    }
    finish(q.key, q.type, std::move(result), ttl);
  }

  void finish(const std::string& key, std::uint16_t type, answer_set result, std::uint32_t ttl) {
    if (result.state != status::temporary && ttl > 0) {
      cache_.store(type, key.substr(key.find('/') + 1), result, std::chrono::seconds(ttl),
                   answer_cache::clock::now());
    }
    const auto found = pending_.find(key);
    if (found == pending_.end()) {
      return;
    }
    auto waiters = std::move(found->second);
    pending_.erase(found);
    // Posted, never called here: we may be inside c-ares, which must not be re-entered.
    for (auto& handler : waiters) {
      // The handler still runs on its own associated executor (post's work dispatcher).
      boost::asio::post(executor_, boost::asio::append(std::move(handler), result));
    }
  }

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<impl*>(data)->sock_state(fd, readable != 0, writable != 0);
  }

  void sock_state(ares_socket_t fd, bool readable, bool writable) {
    auto found = watchers_.find(fd);
    if (!readable && !writable) {
      if (found != watchers_.end()) {
        found->second->close();
        watchers_.erase(found);
      }
      return;
    }
    if (found == watchers_.end()) {
      found = watchers_.emplace(fd, std::make_shared<watcher>(executor_, fd)).first;
    }
    const auto w = found->second;
    w->want_read = readable;
    w->want_write = writable;
    if (readable && !w->reading) {
      arm(w, true);
    }
    if (writable && !w->writing) {
      arm(w, false);
    }
  }

  // Waits until the socket is readable (or writable). Asio's reactor is edge-triggered, so data
  // that is already waiting would not wake a new wait: check first, without blocking.
  void arm(const std::shared_ptr<watcher>& w, bool read) {
    (read ? w->reading : w->writing) = true;
    auto on_ready = [weak = weak_from_this(), w, read](boost::system::error_code ec) {
      (read ? w->reading : w->writing) = false;
      if (ec || w->closed) {
        return;
      }
      if (const auto self = weak.lock()) {
        self->process(w, read);
      }
    };
    if (ready(w->fd, read ? POLLIN : POLLOUT)) {
      boost::asio::post(executor_, [on_ready = std::move(on_ready)]() mutable {
        on_ready(boost::system::error_code{});
      });
      return;
    }
    using wait_type = boost::asio::posix::descriptor_base::wait_type;
    w->descriptor.async_wait(read ? wait_type::wait_read : wait_type::wait_write,
                             std::move(on_ready));
  }

  void process(const std::shared_ptr<watcher>& w, bool read) {
    if (channel_ == nullptr || !(read ? w->want_read : w->want_write)) {
      return;
    }
    ares_process_fd(channel_, read ? w->fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : w->fd);
    // c-ares may have closed the socket (w->closed) or still want it.
    if (!w->closed && read && w->want_read && !w->reading) {
      arm(w, true);
    }
    if (!w->closed && !read && w->want_write && !w->writing) {
      arm(w, false);
    }
    update_timer();
  }

  void update_timer() {
    if (channel_ == nullptr) {
      return;
    }
    timeval tv{};
    if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
      timer_.cancel();
      return;
    }
    timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec) {
        return;
      }
      if (const auto self = weak.lock(); self && self->channel_ != nullptr) {
        ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        self->update_timer();
      }
    });
  }

  boost::asio::any_io_executor executor_;
  resolver_options options_;
  boost::asio::steady_timer timer_;
  answer_cache cache_;
  ares_channel channel_ = nullptr;
  std::map<ares_socket_t, std::shared_ptr<watcher>> watchers_;
  std::unordered_map<std::string, std::vector<handler_type>> pending_;
};

namespace {

template <class T, class Convert>
lookup<T> typed(answer_set answer, Convert convert) {
  lookup<T> out;
  out.state = answer.state;
  out.detail = std::move(answer.detail);
  for (auto& record : answer.records) {
    out.records.push_back(convert(record));
  }
  return out;
}

}  // namespace

cares_resolver::cares_resolver(boost::asio::any_io_executor executor, resolver_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options))) {
  impl_->open();
}

cares_resolver::~cares_resolver() {
  impl_->close();
}

boost::asio::awaitable<lookup<boost::asio::ip::address_v4>> cares_resolver::a(std::string name) {
  auto answer = co_await impl_->query(std::move(name), wire::type_a);
  co_return typed<boost::asio::ip::address_v4>(std::move(answer), [](const wire::record& r) {
    boost::asio::ip::address_v4::bytes_type bytes{};
    std::memcpy(bytes.data(), r.data.data(), bytes.size());
    return boost::asio::ip::address_v4(bytes);
  });
}

boost::asio::awaitable<lookup<boost::asio::ip::address_v6>> cares_resolver::aaaa(std::string name) {
  auto answer = co_await impl_->query(std::move(name), wire::type_aaaa);
  co_return typed<boost::asio::ip::address_v6>(std::move(answer), [](const wire::record& r) {
    boost::asio::ip::address_v6::bytes_type bytes{};
    std::memcpy(bytes.data(), r.data.data(), bytes.size());
    return boost::asio::ip::address_v6(bytes);
  });
}

boost::asio::awaitable<lookup<mx_record>> cares_resolver::mx(std::string name) {
  auto answer = co_await impl_->query(std::move(name), wire::type_mx);
  co_return typed<mx_record>(std::move(answer), [](wire::record& r) {
    return mx_record{r.preference, std::move(r.data)};
  });
}

boost::asio::awaitable<lookup<std::string>> cares_resolver::txt(std::string name) {
  auto answer = co_await impl_->query(std::move(name), wire::type_txt);
  co_return typed<std::string>(std::move(answer),
                               [](wire::record& r) { return std::move(r.data); });
}

boost::asio::awaitable<lookup<std::string>> cares_resolver::ptr(std::string name) {
  auto answer = co_await impl_->query(std::move(name), wire::type_ptr);
  co_return typed<std::string>(std::move(answer),
                               [](wire::record& r) { return std::move(r.data); });
}

std::size_t cares_resolver::cache_hits() const {
  return impl_->cache_hits_;
}
std::size_t cares_resolver::queries_sent() const {
  return impl_->queries_sent_;
}

}  // namespace im2k::dns
