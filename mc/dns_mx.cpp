// `im2k dns mx [--server IP:PORT]... [--timeout MS] [--tries N] DOMAIN`: the MX hosts a server
// would try for DOMAIN, one per line, in the order it would try them (equal preferences in
// random order). Otherwise one line saying why there are none, and whether that is permanent.
//
// Exit status: 0 hosts printed; 1 permanent (null MX, no MX, not a valid domain);
// 75 temporary (EX_TEMPFAIL: DNS could not tell); 2 usage error (bad option or server).
#include <chrono>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "common/dns/cares_resolver.hpp"
#include "common/dns/mx.hpp"
#include "mc/dns_commands.hpp"

namespace im2k::mc {

namespace {

constexpr int exit_permanent = 1;
constexpr int exit_usage = 2;
constexpr int exit_temporary = 75;

struct mx_args {
  std::vector<std::string> servers;
  int timeout_ms = 2000;
  int tries = 2;
  std::string domain;
};

int run_mx(const mx_args& args) {
  boost::asio::io_context io;
  dns::resolver_options options;
  options.servers = args.servers;
  options.timeout = std::chrono::milliseconds(args.timeout_ms);
  options.tries = args.tries;
  std::optional<dns::cares_resolver> resolver;
  try {
    resolver.emplace(io.get_executor(), options);
  } catch (const std::runtime_error& e) {
    std::cerr << "im2k dns mx: " << e.what() << '\n';
    return exit_usage;
  }
  std::optional<dns::mx_plan> plan;
  boost::asio::co_spawn(io, dns::plan_mx(*resolver, args.domain),
                        [&plan](const std::exception_ptr& error, dns::mx_plan result) {
                          if (error) {
                            std::rethrow_exception(error);
                          }
                          plan = std::move(result);
                        });
  // Bounded by the resolver's own timeouts; the loop ends once the plan is made.
  while (!plan && io.run_one() > 0) {
  }
  if (!plan) {
    std::cerr << "im2k dns mx: no answer\n";
    return exit_temporary;
  }
  const std::string& d = args.domain;
  switch (plan->outcome) {
    case dns::mx_outcome::hosts:
      for (const auto& host : plan->hosts) {
        std::cout << host << '\n';
      }
      return 0;
    case dns::mx_outcome::null_mx:
      std::cout << d << " has a null MX: it accepts no mail (permanent)\n";
      return exit_permanent;
    case dns::mx_outcome::no_mx:
      std::cout << d
                << (plan->detail == "no usable MX host" ? " has no usable MX host"
                                                        : " has no MX record")
                << ": it receives no mail (permanent)\n";
      return exit_permanent;
    case dns::mx_outcome::bad_domain:
      std::cout << d << " is not a valid domain: " << plan->detail << " (permanent)\n";
      return exit_permanent;
    case dns::mx_outcome::temporary:
      break;
  }
  std::cout << d << " could not be resolved: " << plan->detail << " (temporary)\n";
  return exit_temporary;
}

}  // namespace

void add_dns_mx(CLI::App& dns, int& exit_status) {
  auto args = std::make_shared<mx_args>();
  auto* cmd = dns.add_subcommand("mx", "print a domain's MX hosts in the order they are tried");
  cmd->add_option("--server", args->servers,
                  "DNS server as IP:PORT ([IPv6]:PORT); repeatable; default: /etc/resolv.conf");
  cmd->add_option("--timeout", args->timeout_ms, "milliseconds per try (default 2000)")
      ->check(CLI::Range(1, 60000));
  cmd->add_option("--tries", args->tries, "tries per server (default 2)")->check(CLI::Range(1, 10));
  cmd->add_option("domain", args->domain, "the domain, e.g. example.com")->required();
  cmd->footer(
      "Exit status: 0 hosts printed, 1 permanent (null MX, no MX, invalid domain), 75 temporary, "
      "2 usage error.");
  cmd->callback([args, &exit_status] { exit_status = run_mx(*args); });
}

}  // namespace im2k::mc
