// im2k: the mail client, and the operator's diagnostic commands.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/version.hpp"
#include "mc/dns_commands.hpp"
#include "mc/leading_options.hpp"
#include "mc/mail_commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"im2k: the im2k mail client and diagnostics", "im2k"};
  app.set_version_flag("--version", std::string("im2k ") + std::string(im2k::version));
  app.require_subcommand(1);
  int exit_status = 0;

  im2k::mc::add_send(app, exit_status);
  im2k::mc::add_status(app, exit_status);
  im2k::mc::add_recall(app, exit_status);
  im2k::mc::add_sent(app, exit_status);
  im2k::mc::add_list(app, exit_status);
  im2k::mc::add_fetch(app, exit_status);
  im2k::mc::add_delete(app, exit_status);

  auto* dns = app.add_subcommand("dns", "DNS diagnostics: what a server would look up and decide");
  dns->require_subcommand(1);
  im2k::mc::add_dns_mx(*dns, exit_status);
  im2k::mc::add_dns_spf(*dns, exit_status);

  try {
    // Options before the subcommand go behind it (leading_options.hpp); CLI11 wants them reversed.
    std::vector<std::string> args(argv + 1, argv + argc);
    args = im2k::mc::move_leading_options(app, std::move(args));
    std::reverse(args.begin(), args.end());
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    // CLI11 returns 0 for --help/--version; usage errors become 2 as the commands promise.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return exit_status;
}
