#include <iostream>

#include "mc/dns_commands.hpp"

namespace im2k::mc {

void add_dns_spf(CLI::App& dns, int& exit_status) {
  auto* cmd = dns.add_subcommand("spf", "evaluate SPF (RFC 7208) for an address and a sender");
  cmd->callback([&exit_status] {
    std::cerr << "im2k dns spf: not implemented yet\n";
    exit_status = 1;
  });
}

}  // namespace im2k::mc
