// im2k-oms: the outgoing server. It spools submitted messages, notifies the recipients'
// incoming servers and serves their pulls.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "common/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"im2k-oms: the im2k outgoing mail server (submit, spool, notify, serve pulls)",
               "im2k-oms"};
  app.set_version_flag("--version", std::string("im2k-oms ") + std::string(im2k::version));
  std::string config_path;
  app.add_option("--config", config_path, "configuration file (TOML)");
  CLI11_PARSE(app, argc, argv);
  std::cerr << "im2k-oms: the mail flow is not implemented yet\n";
  return 1;
}
