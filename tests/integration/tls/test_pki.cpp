#include "tests/integration/tls/test_pki.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <sys/wait.h>

namespace im2k::tls::testing {

test_pki::test_pki() {
  std::string pattern = (std::filesystem::temp_directory_path() / "im2k-tls-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = pattern;
  run("init " + ca_dir());
}

test_pki::~test_pki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

test_pki::outcome test_pki::try_run(const std::string& args) const {
  const std::string command = "'" IM2K_SOURCE_DIR "/deploy/pki/pki.sh' " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return {};
  }
  outcome result;
  std::array<char, 512> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    result.output.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string test_pki::run(const std::string& args) const {
  outcome result = try_run(args);
  if (result.status != 0) {
    throw std::runtime_error("pki.sh " + args + " failed: " + result.output);
  }
  return result.output;
}

tls_settings test_pki::settings(const std::string& name, const std::string& ca) const {
  tls_settings s;
  s.cert_file = path(name + ".pem", ca);
  s.key_file = path(name + ".key", ca);
  s.ca_file = path("ca.pem");
  s.crl_files = {path("crl.pem")};
  s.crl = crl_mode::require;
  return s;
}

}  // namespace im2k::tls::testing
