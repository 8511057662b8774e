// im2k-ims: the incoming server. It verifies notifications, pulls messages from the
// sender's designated server and keeps the recipients' mailboxes.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "common/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"im2k-ims: the im2k incoming mail server (verify, pull, store, mailbox)",
               "im2k-ims"};
  app.set_version_flag("--version", std::string("im2k-ims ") + std::string(im2k::version));
  std::string config_path;
  app.add_option("--config", config_path, "configuration file (TOML)");
  CLI11_PARSE(app, argc, argv);
  std::cerr << "im2k-ims: the mail flow is not implemented yet\n";
  return 1;
}
