#include <iostream>

#include "mc/dns_commands.hpp"

namespace im2k::mc {

void add_dns_mx(CLI::App& dns, int& exit_status) {
  auto* cmd = dns.add_subcommand("mx", "print a domain's MX hosts in the order they are tried");
  cmd->callback([&exit_status] {
    std::cerr << "im2k dns mx: not implemented yet\n";
    exit_status = 1;
  });
}

}  // namespace im2k::mc
