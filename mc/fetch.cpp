// `im2k fetch ID [--output FILE]`: one message of the user's mailbox, streamed to stdout or to
// FILE as it arrives ([F-11]). FILE appears only once the whole message is there: it is written
// under a temporary name beside it and renamed at the end.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "mc/failure.hpp"
#include "mc/mail_commands.hpp"
#include "mc/output.hpp"
#include "mc/run.hpp"
#include "mc/settings.hpp"
#include "mc/user_client.hpp"
#include "proto/messages/mailbox.hpp"
#include "proto/syntax.hpp"

namespace im2k::mc {

namespace {

using boost::asio::awaitable;

struct fetch_args {
  connection_options connection;
  std::string id;
  std::string output;
};

// Where the body goes. Writes block: a regular file cannot be waited on, and this process
// serves nobody but its user.
class body_writer {
 public:
  body_writer() = default;
  body_writer(const body_writer&) = delete;
  body_writer& operator=(const body_writer&) = delete;
  ~body_writer() {
    if (!final_path_.empty() && fd_ >= 0) {
      ::close(fd_);
      ::unlink(temp_path_.c_str());
    }
  }

  // stdout when `path` is empty or "-".
  outcome<void> open(const std::string& path) {
    if (path.empty() || path == "-") {
      std::cout.flush();
      fd_ = STDOUT_FILENO;
      return {};
    }
    final_path_ = path;
    temp_path_ = path + ".im2k-XXXXXX";
    fd_ = ::mkstemp(temp_path_.data());
    if (fd_ < 0) {
      final_path_.clear();
      return failure{code_io, false,
                     "cannot create a file beside " + path + ": " + std::strerror(errno)};
    }
    ::fchmod(fd_, 0600);  // mail is private
    return {};
  }

  boost::system::error_code write(std::span<const char> chunk) {
    while (!chunk.empty()) {
      const ssize_t n = ::write(fd_, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        error_ = std::strerror(errno);
        return {errno, boost::system::system_category()};
      }
      chunk = chunk.subspan(static_cast<std::size_t>(n));
    }
    return {};
  }

  // Moves the finished file into place.
  outcome<void> finish() {
    if (final_path_.empty()) {
      return {};
    }
    const bool ok = ::fsync(fd_) == 0 && ::close(fd_) == 0;
    fd_ = -1;
    if (!ok || std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
      const std::string why = std::strerror(errno);
      ::unlink(temp_path_.c_str());
      return failure{code_io, false, "cannot write " + final_path_ + ": " + why};
    }
    return {};
  }

  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string final_path_;
  std::string temp_path_;
  std::string error_;
};

awaitable<int> run_fetch(std::shared_ptr<fetch_args> a) {
  const bool json = a->connection.json;
  const bool to_stdout = a->output.empty() || a->output == "-";
  if (json && to_stdout) {
    co_return report({code_usage, false,
                      "--json needs --output FILE: the message itself would "
                      "go to stdout"},
                     false);
  }
  if (!proto::is_message_id(a->id)) {
    co_return report({code_usage, false, "not a mailbox message id: " + a->id}, json);
  }
  auto client = co_await user_client::connect(a->connection, service::mailbox);
  if (!client) {
    co_return report(client.error(), json);
  }
  proto::fetch_request request;
  request.msg = a->id;
  auto response = co_await (*client)->call(proto::to_json(request));
  if (!response) {
    co_return report(response.error(), json);
  }
  auto parsed = proto::parse_fetch_response(*response);
  if (!parsed) {
    co_return report(
        {code_connection, true, "malformed fetch response: " + parsed.error().describe()}, json);
  }
  body_writer writer;
  if (auto opened = writer.open(a->output); !opened) {
    co_return report(opened.error(), json);
  }
  // A closed pipe (`im2k fetch ID | head`) is an error value, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  net::body_sink sink =
      [&writer](std::span<const char> chunk) -> awaitable<boost::system::error_code> {
    co_return writer.write(chunk);
  };
  auto body = co_await (*client)->read_body(parsed->body_len, sink);
  if (!body) {
    if (!writer.error().empty()) {
      co_return report({code_io, false, "cannot write the message: " + writer.error()}, json);
    }
    co_return report(body.error(), json);
  }
  co_await (*client)->close();
  if (auto done = writer.finish(); !done) {
    co_return report(done.error(), json);
  }
  if (json) {
    print_json({{"id", a->id}, {"size", parsed->body_len}, {"output", a->output}});
  }
  co_return 0;
}

}  // namespace

void add_fetch(CLI::App& app, int& exit_status) {
  auto a = std::make_shared<fetch_args>();
  auto* cmd = app.add_subcommand("fetch", "one message of your mailbox, to stdout or a file");
  add_connection_options(*cmd, a->connection);
  cmd->add_option("id", a->id, "the message's id as `im2k list` shows it")->required();
  cmd->add_option("--output,-o", a->output, "write it to this file (default stdout)");
  cmd->footer(exit_status_footer);
  cmd->callback([a, &exit_status] { exit_status = run_command([a] { return run_fetch(a); }); });
}

}  // namespace im2k::mc
