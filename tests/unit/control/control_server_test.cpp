// The control protocol on a real Unix socket: one JSON object per line each way, errors as
// replies (never a crash), bounded lines, mode 0600, stale socket files replaced, live ones
// refused, the socket file removed at stop, the client limit, and other users refused
// (SO_PEERCRED).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "common/control/control_client.hpp"
#include "common/control/control_server.hpp"
#include "common/control/reply.hpp"
#include "tests/support/temp_dir.hpp"

namespace im2k::control {
namespace {

using boost::asio::awaitable;
using nlohmann::json;
using namespace std::chrono_literals;

// A connected blocking Unix socket whose reads and writes give up after a few seconds.
class raw_client {
 public:
  explicit raw_client(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      throw std::runtime_error("socket");
    }
    timeval limit{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.native().copy(address.sun_path, sizeof(address.sun_path) - 1);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect " + path.string());
    }
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  // False if the peer closed or a write failed.
  bool send(const std::string& text) {
    std::size_t sent = 0;
    while (sent < text.size()) {
      const auto n = ::send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // The next line, parsed; nullopt at end of stream or after the read timeout.
  std::optional<json> read_reply() {
    while (true) {
      const auto end = pending_.find('\n');
      if (end != std::string::npos) {
        auto line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        return json::parse(line);
      }
      char buffer[4096];
      const auto n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        return std::nullopt;
      }
      pending_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // True when the server closed the connection (end of stream, or reset) within the timeout.
  bool closed_by_server() {
    char buffer[4096];
    while (true) {
      const auto n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) {
        return true;
      }
      if (n < 0) {
        return false;  // the timeout
      }
    }
  }

 private:
  int fd_ = -1;
  std::string pending_;
};

// A control_server on its own io_context thread, with an "echo" op and a "throw" op.
class ControlServer : public ::testing::Test {
 protected:
  void start(server_limits limits = {}) {
    server_ = control_server::create(io_.get_executor(), limits);
    server_->add("echo", [](json request, peer_identity who) -> awaitable<json> {
      co_return ok_reply({{"echo", request}, {"uid", who.uid}});
    });
    server_->add("throw", [](json, peer_identity) -> awaitable<json> {
      throw std::runtime_error("handler failed");
      co_return json();
    });
    ASSERT_FALSE(server_->open(path_));
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }

  void stop() {
    if (server_ && thread_.joinable()) {
      boost::asio::co_spawn(io_, server_->stop(), boost::asio::use_future).wait_for(10s);
    }
  }

  void TearDown() override {
    stop();
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  test::temp_dir dir_;
  std::filesystem::path path_ = dir_ / "control.sock";
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  std::shared_ptr<control_server> server_;
  std::thread thread_;
};

TEST_F(ControlServer, AnswersOneObjectPerLine) {
  start();
  auto reply = call(path_, json{{"op", "echo"}, {"x", 1}});
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_TRUE(is_ok(*reply)) << reply->dump();
  EXPECT_EQ(reply->at("echo").at("x"), 1);
  EXPECT_EQ(reply->at("uid"), ::geteuid());

  // Several requests on one connection, answered in turn.
  raw_client client(path_);
  ASSERT_TRUE(client.send("{\"op\":\"echo\",\"n\":1}\n{\"op\":\"echo\",\"n\":2}\r\n"));
  auto first = client.read_reply();
  auto second = client.read_reply();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->at("echo").at("n"), 1);
  EXPECT_EQ(second->at("echo").at("n"), 2);
}

TEST_F(ControlServer, BadJsonIsAnErrorReplyAndTheConnectionGoesOn) {
  start();
  raw_client client(path_);
  for (const std::string bad :
       {"{not json", "[1,2]", "{\"x\":1}", "{\"op\":7}", "{\"op\":\"no.such.op\"}"}) {
    ASSERT_TRUE(client.send(bad + "\n"));
    auto reply = client.read_reply();
    ASSERT_TRUE(reply) << bad;
    EXPECT_EQ(reply->at("ok"), false) << bad;
    EXPECT_EQ(reply->at("code"), "bad-request") << bad;
    EXPECT_TRUE(reply->at("message").is_string()) << bad;
  }
  ASSERT_TRUE(client.send("{\"op\":\"echo\"}\n"));
  auto reply = client.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_TRUE(is_ok(*reply));
}

TEST_F(ControlServer, AHandlerThatThrowsGivesInternal) {
  start();
  auto reply = call(path_, json{{"op", "throw"}});
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_EQ(reply->at("code"), "internal");
  // The server still answers.
  reply = call(path_, json{{"op", "echo"}});
  ASSERT_TRUE(reply);
  EXPECT_TRUE(is_ok(*reply));
}

TEST_F(ControlServer, OverLongLineIsAnErrorThenClose) {
  start(server_limits{.max_line = 1024});
  // A line of exactly the limit is served.
  std::string fits = "{\"op\":\"echo\",\"pad\":\"";
  fits += std::string(1024 - fits.size() - 2, 'a') + "\"}";
  ASSERT_EQ(fits.size(), 1024u);
  raw_client ok_client(path_);
  ASSERT_TRUE(ok_client.send(fits + "\n"));
  auto ok = ok_client.read_reply();
  ASSERT_TRUE(ok);
  EXPECT_TRUE(is_ok(*ok));

  raw_client client(path_);
  client.send(std::string(4096, 'x'));  // no newline within the limit
  auto reply = client.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->at("code"), "bad-request");
  EXPECT_NE(reply->at("message").get<std::string>().find("longer than 1024"), std::string::npos);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(ControlServer, SocketIsPrivate) {
  start();
  struct stat st {};
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ControlServer, StaleSocketFileIsReplaced) {
  // A socket file nobody listens on, as a killed daemon leaves it.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.native().copy(address.sun_path, sizeof(address.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::exists(path_));
  start();
  auto reply = call(path_, json{{"op", "echo"}});
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_TRUE(is_ok(*reply));
}

TEST_F(ControlServer, LiveSocketIsNotTakenOver) {
  start();
  boost::asio::io_context other_io;
  auto other = control_server::create(other_io.get_executor());
  const auto ec = other->open(path_);
  ASSERT_TRUE(ec);
  EXPECT_EQ(ec, boost::system::errc::address_in_use);
  EXPECT_NE(describe_bind_error(path_, ec).find("another daemon is using"), std::string::npos);
  // The first server still answers.
  auto reply = call(path_, json{{"op", "echo"}});
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_TRUE(is_ok(*reply));
}

TEST_F(ControlServer, APathThatIsNotASocketIsLeftAlone) {
  std::ofstream(path_) << "precious\n";
  boost::asio::io_context other_io;
  auto other = control_server::create(other_io.get_executor());
  EXPECT_EQ(other->open(path_), boost::system::errc::file_exists);
  std::ifstream in(path_);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "precious");
}

TEST_F(ControlServer, StopRemovesTheSocketFile) {
  start();
  ASSERT_TRUE(std::filesystem::exists(path_));
  stop();
  EXPECT_FALSE(std::filesystem::exists(path_));
  auto reply = call(path_, json{{"op", "echo"}});
  EXPECT_FALSE(reply);
}

TEST_F(ControlServer, ClientsBeyondTheLimitAreTurnedAway) {
  start(server_limits{.max_clients = 1});
  raw_client first(path_);
  ASSERT_TRUE(first.send("{\"op\":\"echo\"}\n"));
  ASSERT_TRUE(first.read_reply());  // admitted, and still open
  raw_client second(path_);
  auto reply = second.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->at("code"), "rate-limited");
  EXPECT_TRUE(second.closed_by_server());
}

TEST_F(ControlServer, IdleClientIsClosed) {
  start(server_limits{.io_timeout = 1s});
  raw_client client(path_);
  EXPECT_TRUE(client.closed_by_server());  // within the client's 10 s read timeout
}

// SO_PEERCRED: with the file mode opened up on purpose, another user still gets no service.
TEST_F(ControlServer, OtherUsersAreRefused) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to act as another user";
  }
  start();
  ASSERT_EQ(::chmod(path_.c_str(), 0666), 0);
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path_.native().copy(address.sun_path, sizeof(address.sun_path) - 1);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // As nobody, with plain system calls only (the parent has other threads): exit 0 when the
    // server answered not-authenticated and closed.
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
      ::_exit(2);
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    timeval limit{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      ::_exit(3);
    }
    char reply[512] = {};
    std::size_t got = 0;
    while (got < sizeof(reply) - 1) {
      const auto n = ::recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
      if (n <= 0) {
        break;
      }
      got += static_cast<std::size_t>(n);
    }
    ::_exit(std::strstr(reply, "\"code\":\"not-authenticated\"") != nullptr ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ControlClient, MissingSocketIsAnError) {
  test::temp_dir dir;
  auto reply = call(dir / "absent.sock", json{{"op", "echo"}});
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), boost::system::errc::no_such_file_or_directory);
}

}  // namespace
}  // namespace im2k::control
