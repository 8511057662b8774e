// `im2k dns spf`: what an IMS would decide for a sending address (trust rules 2 and 4), with
// the evaluation's trace so that an operator can see which term matched and why.
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "common/dns/cares_resolver.hpp"
#include "common/spf/check_host.hpp"
#include "mc/dns_commands.hpp"

namespace im2k::mc {
namespace {

struct spf_options {
  std::string server;
  std::string ip;
  std::string sender;
  std::string helo;
};

constexpr int usage_error = 2;

int run_spf(const spf_options& options) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(options.ip, ec);
  if (ec) {
    std::cerr << "im2k dns spf: --ip: \"" << options.ip << "\" is not an IP address\n";
    return usage_error;
  }
  dns::resolver_options resolver_options;
  if (!options.server.empty()) {
    resolver_options.servers.push_back(options.server);
  }

  // The evaluation runs on this thread's io_context; no other thread is involved.
  boost::asio::io_context io;
  std::unique_ptr<dns::cares_resolver> resolver;
  try {
    resolver = std::make_unique<dns::cares_resolver>(io.get_executor(), resolver_options);
  } catch (const std::exception& e) {
    std::cerr << "im2k dns spf: " << e.what() << "\n";
    return usage_error;
  }
  std::optional<spf::evaluation> result;
  std::exception_ptr failure;
  boost::asio::co_spawn(
      io, spf::check_host(*resolver, spf::check_input{ip, options.sender, options.helo, ""}),
      [&](std::exception_ptr e, spf::evaluation evaluation) {
        failure = std::move(e);
        result = std::move(evaluation);
      });
  io.run();
  if (failure) {
    std::rethrow_exception(failure);  // a programming error: main's handler reports it
  }

  std::cout << spf::to_string(result->value) << "\n";
  if (!result->explanation.empty()) {
    std::cout << "explanation: " << result->explanation << "\n";
  }
  std::cout << "trace:\n";
  for (const std::string& line : result->trace) {
    std::cout << "  " << line << "\n";
  }
  return 0;
}

}  // namespace

void add_dns_spf(CLI::App& dns, int& exit_status) {
  auto options = std::make_shared<spf_options>();
  auto* cmd = dns.add_subcommand("spf", "evaluate SPF (RFC 7208) for an address and a sender");
  cmd->add_option("--server", options->server,
                  "DNS server as IP:PORT (default: the system's resolvers)");
  cmd->add_option("--ip", options->ip, "the sending server's address")->required();
  cmd->add_option("--sender", options->sender,
                  "the envelope sender; empty (the default) checks postmaster@HELO");
  cmd->add_option("--helo", options->helo, "the sending server's HELO name")->required();
  cmd->callback([options, &exit_status] { exit_status = run_spf(*options); });
}

}  // namespace im2k::mc
